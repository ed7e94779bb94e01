"""Guards around the hub's sign-in: throttling wrong passwords per account and per client
address (state in the hub's database, time from the hub's clock), password strength for every
password the hub sets, and the session cookie's settings as a browser receives them."""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import create_app, users
from hub.catalogue import sample_catalogue
from hub.cli import cli
from hub.store import write
from hub.users import UserError, create_user

PASSWORD = "correct horse 9"
WRONG = "not the password"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ALICE, BOB = "192.0.2.10", "198.51.100.20"  # documentation addresses (RFC 5737)


def add_user(hub, name: str, password: str = PASSWORD) -> None:
    db = hub.db()
    with write(db):
        create_user(
            db,
            name=name,
            role="operator",
            unit=None,
            known_units=set(sample_catalogue().units()),
            now=hub.clock(),
            password=password,
        )
    db.close()


class Browser:
    """One client of the hub's pages (Flask's test client) at one network address."""

    def __init__(self, client: FlaskClient, address: str = ALICE, **headers: str) -> None:
        self.client, self.address, self.headers = client, address, headers
        self.base_url = "http://localhost"

    def _environ(self) -> dict[str, str]:
        return {"REMOTE_ADDR": self.address}

    def get(self, path: str) -> TestResponse:
        return self.client.get(
            path, base_url=self.base_url, environ_base=self._environ(), headers=self.headers
        )

    def sign_in(self, name: str, password: str) -> TestResponse:
        page = self.get("/signin").get_data(as_text=True)
        found = TOKEN.search(page)
        assert found, page[:300]
        return self.client.post(
            "/signin",
            data={"name": name, "password": password, "csrf_token": found.group(1)},
            base_url=self.base_url,
            environ_base=self._environ(),
            headers=self.headers,
        )

    def set_lang(self, lang: str) -> None:
        found = TOKEN.search(self.get("/signin").get_data(as_text=True))
        assert found
        self.client.post(
            "/lang",
            data={"lang": lang, "csrf_token": found.group(1)},
            environ_base=self._environ(),
        )


def browser(app: Flask, address: str = ALICE, **headers: str) -> Browser:
    return Browser(app.test_client(), address, **headers)


# --- throttling ------------------------------------------------------------------------------


def test_wrong_passwords_for_an_account_are_throttled_with_a_growing_delay(hub, clock):
    add_user(hub, "op")
    alice = browser(hub.app)
    for _ in range(4):
        assert alice.sign_in("op", WRONG).status_code == 401
    fifth = alice.sign_in("op", WRONG)
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == "60"
    assert "登录失败次数过多" in fifth.get_data(as_text=True)
    # Refused while it lasts, even with the right password (which is not even checked).
    refused = alice.sign_in("op", PASSWORD)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "1 分钟" in refused.get_data(as_text=True)
    # From another address too: the guesses were at this account.
    assert browser(hub.app, BOB).sign_in("op", PASSWORD).status_code == 429
    clock.advance(seconds=61)
    # After a block, each further wrong password blocks again, for twice as long.
    again = alice.sign_in("op", WRONG)
    assert again.status_code == 429 and again.headers["Retry-After"] == "120"
    clock.advance(seconds=121)
    assert alice.sign_in("op", PASSWORD).status_code == 302
    # A good sign-in resets the account's count: four wrong ones are again just wrong.
    for _ in range(4):
        assert browser(hub.app).sign_in("op", WRONG).status_code == 401


def test_forty_wrong_passwords_in_a_row_do_not_all_get_tried(hub, clock):
    add_user(hub, "op")
    alice = browser(hub.app)
    codes = [alice.sign_in("op", WRONG).status_code for _ in range(40)]
    assert codes[:4] == [401] * 4 and set(codes[4:]) == {429}
    assert alice.sign_in("op", PASSWORD).status_code == 429


def test_an_unknown_name_is_throttled_like_a_known_one(hub):
    alice = browser(hub.app)
    codes = [alice.sign_in("nobody", WRONG).status_code for _ in range(6)]
    assert codes == [401, 401, 401, 401, 429, 429]


def test_one_address_guessing_many_accounts_is_throttled_but_others_are_not(hub, clock):
    add_user(hub, "op")
    mallory = browser(hub.app)
    codes = [mallory.sign_in(f"user{n}", WRONG).status_code for n in range(21)]
    assert codes[:19] == [401] * 19 and codes[19:] == [429, 429]
    blocked = mallory.sign_in("op", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # Forged X-Forwarded-For headers change nothing: no proxy is trusted by default.
    forged = browser(hub.app, ALICE, **{"X-Forwarded-For": BOB})
    assert forged.sign_in("op", PASSWORD).status_code == 429
    # Someone at another address signs in as usual.
    assert browser(hub.app, BOB).sign_in("op", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(hub, clock):
    app = create_app(hub.data, {"CLOCK": clock, "TRUSTED_PROXIES": 1})
    add_user(hub, "op")
    mallory = browser(app, "127.0.0.1", **{"X-Forwarded-For": ALICE})
    for n in range(20):
        mallory.sign_in(f"user{n}", WRONG)
    assert mallory.sign_in("op", PASSWORD).status_code == 429
    other = browser(app, "127.0.0.1", **{"X-Forwarded-For": BOB})
    assert other.sign_in("op", PASSWORD).status_code == 302


def test_ipv6_clients_are_counted_per_64_bit_prefix(hub):
    codes = [
        browser(hub.app, f"2001:db8:1:2::{n:x}").sign_in(f"user{n}", WRONG).status_code
        for n in range(21)
    ]
    assert codes[19:] == [429, 429]
    assert browser(hub.app, "2001:db8:1:3::1").sign_in("x", WRONG).status_code == 401


def test_the_count_is_kept_in_the_database_across_restarts(hub, clock):
    add_user(hub, "op")
    alice = browser(hub.app)
    for _ in range(5):
        alice.sign_in("op", WRONG)
    restarted = create_app(hub.data, {"CLOCK": clock})
    assert browser(restarted).sign_in("op", PASSWORD).status_code == 429
    db = hub.db()
    rows = {(r["scope"], r["key"]) for r in db.query("SELECT * FROM signin_throttle")}
    db.close()
    assert ("account", "op") in rows and ("address", ALICE) in rows


def test_the_refusal_is_in_english_for_an_english_reader(hub):
    alice = browser(hub.app)
    alice.set_lang("en")
    for _ in range(4):
        alice.sign_in("op", WRONG)
    page = alice.sign_in("op", WRONG).get_data(as_text=True)
    assert "Too many failed sign-ins. Try again in 1 min." in page


def test_the_served_hub_answers_429_with_retry_after(hub):
    add_user(hub, "op")
    s = requests.Session()
    for _ in range(5):
        page = s.get(f"{hub.url}/signin", timeout=10)
        answer = s.post(
            f"{hub.url}/signin",
            data={"name": "op", "password": WRONG, "csrf_token": TOKEN.findall(page.text)[0]},
            timeout=10,
        )
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "60"
    assert "text/html" in answer.headers["Content-Type"]


def test_good_sign_ins_from_one_address_are_not_counted_against_it(hub):
    add_user(hub, "op")
    office = browser(hub.app)
    assert all(office.sign_in("op", PASSWORD).status_code == 302 for _ in range(25))
    db = hub.db()
    [row] = db.query("SELECT * FROM signin_throttle WHERE scope = 'address'")
    db.close()
    assert row["failures"] == 0 and row["blocked_until"] is None


def test_failures_outside_the_window_or_after_a_quiet_hour_are_forgotten(hub, clock):
    alice = browser(hub.app)
    for _ in range(4):
        assert alice.sign_in("op", WRONG).status_code == 401
    clock.advance(seconds=15 * 60 + 1)  # the window is over: four more are just wrong
    for _ in range(4):
        assert alice.sign_in("op", WRONG).status_code == 401
    assert alice.sign_in("op", WRONG).status_code == 429
    clock.advance(seconds=61 + 3601)  # an hour after the block: as if nothing happened
    for _ in range(4):
        assert alice.sign_in("op", WRONG).status_code == 401
    clock.advance(days=1)
    alice = browser(hub.app, BOB)
    alice.sign_in("someone", WRONG)  # a try prunes rows forgotten long ago
    db = hub.db()
    keys = {r["key"] for r in db.query("SELECT key FROM signin_throttle")}
    db.close()
    assert keys == {"someone", BOB}


def test_the_delay_doubles_up_to_an_hour(hub, clock):
    alice = browser(hub.app)
    for _ in range(4):
        alice.sign_in("op", WRONG)
    delays = []
    for _ in range(8):
        answer = alice.sign_in("op", WRONG)
        assert answer.status_code == 429
        delays.append(int(answer.headers["Retry-After"]))
        clock.advance(seconds=delays[-1] + 1)
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_tries_in_flight_at_once_cannot_exceed_the_allowance(hub, clock):
    rules = users.throttles({**hub.app.config, "SIGNIN_ACCOUNT_TRIES": 2})
    db = hub.db()

    def begin() -> int | None:
        return users.begin_sign_in(db, name="op", address=ALICE, now=clock(), rules=rules)

    def fail() -> int | None:
        return users.end_sign_in(db, name="op", address=ALICE, now=clock(), rules=rules, ok=False)

    # Two tries begun and not yet settled use the allowance up: a third waits a second.
    assert begin() is None and begin() is None
    assert begin() == 1
    assert fail() == 60
    assert fail() is None  # already blocked
    assert begin() == 60
    db.close()


def test_address_keys():
    assert users.address_key("192.0.2.1") == "192.0.2.1"
    assert users.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert users.address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert users.address_key("fe80::1%eth0") == "fe80::/64"
    assert users.address_key(None) == "unknown"


# --- password strength -----------------------------------------------------------------------

WEAK = ["1", "short-1", "1234567890", "password123", "qwertyuiop", "1qaz2wsx3edc", "woaini1314"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_by_create_user(hub, weak):
    with pytest.raises(UserError):
        add_user(hub, "op", weak)
    db = hub.db()
    assert list(db.query("SELECT name FROM users")) == []
    db.close()


def test_a_password_made_of_the_user_name_is_refused():
    assert users.password_problem("zhangwei2026", name="zhangwei") is not None
    assert users.password_problem("zhangwei2026", name="someone-else") is None


def test_strong_and_generated_passwords_pass(hub):
    for good in (PASSWORD, "tall-violet-kettle-42", "S3cret-pass-for-wang"):
        assert users.password_problem(good, name="wang") is None, good
    db = hub.db()
    units = set(sample_catalogue().units())
    with write(db):
        for n in range(30):
            made = create_user(
                db, name=f"gen{n}", role="operator", unit=None, known_units=units, now=1
            )
            assert users.password_problem(made.password, name=made.name) is None


def test_overlong_passwords_are_refused():
    assert users.password_problem("tall-violet-kettle-42" * 12) is None  # 252 characters
    assert users.password_problem("tall-violet-kettle-42" * 13) is not None  # 273


def test_a_generated_password_that_happens_to_be_weak_is_drawn_again(monkeypatch):
    drawn = iter(["aaaaaaaaaaaa", "1234567890ab", "cN5KrO4xqu3M"])
    monkeypatch.setattr(users.secrets, "token_urlsafe", lambda n: next(drawn))
    assert users.generate_password("op") == "cN5KrO4xqu3M"


def run_cli(hub, *args: str):
    return CliRunner().invoke(cli, ["--data", str(hub.data), *args])


@pytest.mark.parametrize("weak", ["1", "password123", ""])
def test_user_add_with_a_weak_password_is_refused_in_one_line(hub, weak):
    result = run_cli(hub, "user", "add", "carol", "--role", "operator", "--password", weak)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message and "password" in message
    assert json.loads(run_cli(hub, "user", "list", "--json").stdout) == []


def test_user_add_with_a_strong_or_generated_password_signs_in(hub):
    made = run_cli(
        hub, "user", "add", "carol", "--role", "operator", "--password", "tall-violet-kettle-42"
    )
    assert made.exit_code == 0, made.output
    generated = json.loads(run_cli(hub, "user", "add", "dave", "--role", "admin", "--json").stdout)
    assert browser(hub.app).sign_in("carol", "tall-violet-kettle-42").status_code == 302
    assert browser(hub.app, BOB).sign_in("dave", generated["password"]).status_code == 302


# --- the session cookie ----------------------------------------------------------------------


def test_the_session_cookie_is_daiban_hub_lax_httponly_for_8_hours(hub):
    add_user(hub, "op")
    s = requests.Session()
    page = s.get(f"{hub.url}/signin", timeout=10)
    before = time.time()
    done = s.post(
        f"{hub.url}/signin",
        data={"name": "op", "password": PASSWORD, "csrf_token": TOKEN.findall(page.text)[0]},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 302
    header = done.headers["Set-Cookie"]
    cookie = SimpleCookie()
    cookie.load(header)
    assert list(cookie) == ["daiban_hub"], header
    morsel = cookie["daiban_hub"]
    assert morsel["samesite"] == "Lax" and morsel["httponly"] and morsel["path"] == "/"
    expires = parsedate_to_datetime(morsel["expires"]).timestamp()
    assert before + 8 * 3600 - 60 <= expires <= time.time() + 8 * 3600 + 60, header


def test_the_session_cookie_settings_can_still_be_overridden(hub, clock):
    app = create_app(
        hub.data, {"CLOCK": clock, "SESSION_COOKIE_NAME": "other", "SESSION_COOKIE_SECURE": True}
    )
    add_user(hub, "op")
    over_tls = browser(app, Referer="https://localhost/signin")  # CSRF checks it over TLS
    over_tls.base_url = "https://localhost"  # a Secure cookie is sent back over TLS only
    done = over_tls.sign_in("op", PASSWORD)
    assert done.status_code == 302
    header = done.headers["Set-Cookie"]
    assert header.startswith("other=") and "Secure" in header and "SameSite=Lax" in header
