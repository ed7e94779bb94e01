"""Sign-in with a PIN: good and wrong PINs, the wait after five failures from one computer,
disabled staff, sessions that expire, roles, CSRF, and the staff commands."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from agent.cli import cli
from agent.store import staff, write
from tests.agent.web.conftest import CLERK, CLERK_PIN, RUNNER, RUNNER_PIN, Pages


def test_pages_need_a_signed_in_staff_member(pages: Pages):
    for path in ("/", "/new", "/attention", "/pickup", "/applications"):
        response = pages.get(path)
        assert response.status_code == 302
        assert response.location.startswith(f"/signin?next={path}")
    listing = pages.text("/signin")  # names nobody: the staff member types their code
    assert "王芳" not in listing and "李强" not in listing and 'name="code"' in listing


def test_a_good_pin_signs_in_and_goes_back_where_asked(pages: Pages):
    response = pages.post(
        f"/signin/{CLERK}", {"pin": CLERK_PIN, "next": "/pickup"}, page=f"/signin/{CLERK}"
    )
    assert (response.status_code, response.location) == (302, "/pickup")
    assert "王芳" in pages.text("/pickup")


def test_a_next_that_leaves_the_site_is_ignored(pages: Pages):
    response = pages.post(
        f"/signin/{CLERK}",
        {"pin": CLERK_PIN, "next": "//evil.example/x"},
        page=f"/signin/{CLERK}",
    )
    assert response.location == "/"


def test_a_wrong_pin_says_so_and_signs_nobody_in(pages: Pages):
    response = pages.sign_in(CLERK, "9999")
    assert response.status_code == 401
    assert "PIN 不对" in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert pages.get("/").status_code == 302


def test_five_wrong_pins_make_this_computer_wait(agent):
    from agent.web import create_app
    from tests.support.served import Clock

    clock = Clock(1_789_956_000_000)
    with create_app(agent.home, {"TESTING": True, "CLOCK": clock}).test_client() as client:
        pages = Pages(client)
        for tries_left in (4, 3, 2, 1):
            page = pages.sign_in(CLERK, "0000").get_data(as_text=True)
            assert f"再错 {tries_left} 次" in page
        locked = pages.sign_in(CLERK, "0000")
        assert locked.status_code == 429 and "请 5 分钟后再试" in locked.get_data(as_text=True)
        # Blocked: even the right PIN is refused from this computer until the wait is over,
        # for every staff member (it is the computer that guessed, not the clerk).
        assert pages.sign_in(CLERK, CLERK_PIN).status_code == 429
        assert pages.sign_in(RUNNER, RUNNER_PIN).status_code == 429
        assert pages.get("/").status_code == 302
        clock.advance(seconds=5 * 60 + 1)  # the wait ran out
        assert pages.sign_in(CLERK, CLERK_PIN).status_code == 302


def test_a_disabled_staff_member_cannot_sign_in_and_is_signed_out(pages: Pages, agent):
    assert pages.sign_in().status_code == 302
    with write(agent.db):
        staff.disable(agent.db, CLERK, now=2)
    assert pages.get("/").status_code == 302  # signed out at the next page
    response = pages.sign_in()  # told so with their own right PIN only
    assert response.status_code == 403 and "已停用" in response.get_data(as_text=True)
    assert "已停用" not in pages.sign_in(CLERK, "0000").get_data(as_text=True)
    assert pages.get("/").status_code == 302  # not signed in


def test_sessions_end_after_idle_time_and_after_a_working_day(pages: Pages):
    assert pages.sign_in().status_code == 302
    with pages.client.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60
    response = pages.get("/", follow_redirects=True)
    assert "登录已过期" in response.get_data(as_text=True)
    assert pages.sign_in().status_code == 302
    with pages.client.session_transaction() as session:
        session["signed_in_at"] = time.time() - 8 * 3600 - 1
    assert pages.get("/").status_code == 302
    assert pages.sign_in().status_code == 302
    assert pages.get("/").status_code == 200


def test_sessions_keep_the_time_of_the_apps_clock(agent):
    from agent.web import create_app
    from tests.support.served import Clock

    clock = Clock(1_789_956_000_000)
    with create_app(agent.home, {"TESTING": True, "CLOCK": clock}).test_client() as client:
        pages = Pages(client)
        assert pages.sign_in().status_code == 302
        with client.session_transaction() as session:
            assert session["signed_in_at"] == session["seen_at"] == clock() / 1000
        for _ in range(3):  # a page every 29 minutes keeps the clerk signed in
            clock.advance(seconds=29 * 60)
            assert pages.get("/").status_code == 200
        clock.advance(seconds=31 * 60)
        assert pages.get("/").status_code == 302


def test_sign_out(pages: Pages):
    pages.sign_in()
    assert pages.post("/signout", page="/").status_code == 302
    assert pages.get("/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(pages: Pages, app):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    response = pages.client.post(f"/signin/{CLERK}", data={"pin": CLERK_PIN})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "表单已过期" in page and "Traceback" not in page
    assert pages.get("/").status_code == 302  # not signed in
    forged = pages.client.post(f"/signin/{CLERK}", data={"pin": CLERK_PIN, "csrf_token": "forged"})
    assert forged.status_code == 400


def test_a_runner_may_not_confirm_a_pickup(pages: Pages):
    pages.sign_in(RUNNER, RUNNER_PIN)
    response = pages.post("/applications/anything/pickup", {"collector": "applicant"}, page="/")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)


def test_unknown_pages_are_friendly(pages: Pages):
    pages.sign_in()
    response = pages.get("/applications/0000-000000-0")
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True)


def test_the_secret_key_is_made_once_and_kept_owner_only(agent, app):
    key_file = agent.home.root / "web-secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    from agent.web import create_app

    assert create_app(agent.home).secret_key == app.secret_key


# --- the staff commands ----------------------------------------------------------------------


def run(home, *args):
    env = {"DAIBAN_LANG": None, "DAIBAN_AGENT_HOME": None}
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)


def test_staff_commands(tmp_path):
    home = tmp_path / "home"
    added = run(
        home, "staff", "add", "runner-9", "--name", "赵六", "--role", "runner", "--pin", "2468"
    )
    assert added.exit_code == 0 and "runner-9" in added.output
    again = run(
        home, "staff", "add", "runner-9", "--name", "x", "--role", "runner", "--pin", "2468"
    )
    assert again.exit_code == 1 and "已经存在" in again.stderr
    short = run(home, "staff", "add", "clerk-2", "--name", "x", "--role", "clerk", "--pin", "12")
    assert short.exit_code == 1 and "4到8位" in short.stderr
    bad_code = run(home, "staff", "add", "王 五", "--name", "x", "--role", "clerk", "--pin", "1234")
    assert bad_code.exit_code == 1
    assert (
        run(home, "staff", "add", "c", "--name", "x", "--role", "boss", "--pin", "1234").exit_code
        == 2
    )
    [row] = json.loads(run(home, "staff", "list", "--json").output)
    assert (row["code"], row["name"], row["role"], row["disabled_at"]) == (
        "runner-9",
        "赵六",
        "runner",
        None,
    )
    assert "pin_hash" not in row
    assert run(home, "staff", "disable", "runner-9").exit_code == 0
    assert "disabled" in run(home, "staff", "list").output
    assert run(home, "staff", "disable", "nobody").exit_code == 1
    raw = (home / "agent.db").read_bytes() + (home / "agent.db-wal").read_bytes()
    assert b"2468" not in raw  # only the scrypt hash is kept


def test_pins_are_hashed_with_a_salt():
    one, two = staff.hash_pin("1234"), staff.hash_pin("1234")
    assert one != two and one.startswith("scrypt:")  # Werkzeug's scrypt, as the hub's
    assert staff.pin_matches("1234", one) and not staff.pin_matches("1235", one)
    assert not staff.pin_matches("1234", "garbage")


# PIN 1234 as agents before Werkzeug's hasher kept it (scrypt$N$r$p$salt$hash): laptops in the
# field have such rows.
OLD_FORMAT_1234 = (
    "scrypt$16384$8$1$b3V0bGV0LWxhcHRvcC0wMQ$yRHEu_ptGbYPTlhG2v0gkSuhaBCnsEzQhjV8ZQjfGxA"
)


def keep_pin_hash(agent, code: str, pin_hash: str) -> None:
    with write(agent.db):
        agent.db.execute("UPDATE staff SET pin_hash = ? WHERE code = ?", [pin_hash, code])


def pin_hash_of(agent, code: str) -> str:
    row = staff.get(agent.db, code)
    assert row is not None
    return str(row["pin_hash"])


def test_a_pin_kept_in_the_old_format_still_signs_in_and_is_kept_anew(pages: Pages, agent):
    from werkzeug.security import check_password_hash

    assert CLERK_PIN == "1234"
    assert staff.pin_matches("1234", OLD_FORMAT_1234)
    assert not staff.pin_matches("1235", OLD_FORMAT_1234)
    keep_pin_hash(agent, CLERK, OLD_FORMAT_1234)
    # A wrong PIN against the old hash is refused, and the hash stays as it was.
    assert pages.sign_in(CLERK, "1235").status_code == 401
    assert pin_hash_of(agent, CLERK) == OLD_FORMAT_1234
    # The right one signs in, and the PIN is kept in Werkzeug's format from then on.
    assert pages.sign_in(CLERK, "1234").status_code == 302
    assert pages.get("/").status_code == 200
    upgraded = pin_hash_of(agent, CLERK)
    assert upgraded.startswith("scrypt:") and check_password_hash(upgraded, "1234")
    assert not staff.pin_matches("1235", upgraded)
    pages.post("/signout", page="/")
    assert pages.sign_in(CLERK, "1234").status_code == 302
    assert pin_hash_of(agent, CLERK) == upgraded  # hashed once, not each time


def test_an_old_format_pin_of_a_disabled_staff_member_is_left_as_it_is(agent):
    keep_pin_hash(agent, CLERK, OLD_FORMAT_1234)
    with write(agent.db):
        staff.disable(agent.db, CLERK, now=2)
    outcome = staff.sign_in(agent.db, CLERK, "1234", address="192.0.2.5", now=3)
    assert (outcome.ok, outcome.reason) == (False, "disabled")
    assert pin_hash_of(agent, CLERK) == OLD_FORMAT_1234


def test_a_crash_is_a_friendly_page_not_a_stack_trace(agent):
    from agent.web import create_app

    app = create_app(agent.home)  # not TESTING: errors are handled as in production

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in page and "secret detail" not in page and "Traceback" not in page
