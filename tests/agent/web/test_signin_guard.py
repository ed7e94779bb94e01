"""The outlet's sign-in guard: wrong PINs are throttled per client address, so someone else on
the outlet's Wi-Fi cannot keep a clerk out, and the sign-in page names nobody."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from agent.store import meta, staff, write
from agent.web import create_app
from tests.agent.web.conftest import CLERK, CLERK_PIN, RUNNER, RUNNER_PIN, Pages
from tests.support.served import Clock

COUNTER, WIFI, OTHER_WIFI = "192.0.2.5", "192.0.2.66", "192.0.2.77"  # RFC 5737 addresses


class Machine(Pages):
    """A browser on one machine of the outlet's network."""

    def __init__(self, app: Flask, address: str) -> None:
        super().__init__(app.test_client())
        self.address = address

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, environ_base={"REMOTE_ADDR": self.address}, **kw)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any
    ) -> TestResponse:
        found = self.get(page or "/signin").get_data(as_text=True)
        token = found.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        body = {**(data or {}), "csrf_token": token}
        return self.client.post(path, data=body, environ_base={"REMOTE_ADDR": self.address}, **kw)

    def sign_in_as(self, who: str, pin: str) -> TestResponse:
        """The sign-in page's own form: the staff code (or name) and the PIN."""
        return self.post("/signin", {"code": who, "pin": pin})


@pytest.fixture
def clock() -> Clock:
    return Clock(1_789_956_000_000)


@pytest.fixture
def clocked(agent, clock) -> Flask:
    return create_app(agent.home, {"TESTING": True, "CLOCK": clock})


def test_the_sign_in_page_lists_no_staff_and_asks_for_a_code_and_pin(pages: Pages):
    page = pages.text("/signin")
    for secret in ("王芳", "李强", CLERK, RUNNER):
        assert secret not in page
    assert 'name="code"' in page and 'name="pin"' in page
    assert "登录" in page  # Chinese by default


def test_signing_in_with_the_code_or_the_name_on_the_page(clocked):
    by_code = Machine(clocked, COUNTER).sign_in_as(CLERK, CLERK_PIN)
    assert by_code.status_code == 302 and by_code.location == "/"
    by_name = Machine(clocked, COUNTER).sign_in_as("李强", RUNNER_PIN)
    assert by_name.status_code == 302


def test_wrong_pins_from_one_machine_do_not_lock_the_clerk_out_elsewhere(clocked, clock):
    intruder = Machine(clocked, WIFI)
    for tries_left in (4, 3, 2, 1):
        wrong = intruder.sign_in_as(CLERK, "0000")
        assert wrong.status_code == 401
        assert f"再错 {tries_left} 次" in wrong.get_data(as_text=True)
    blocked = intruder.sign_in_as(CLERK, "0000")
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "300"
    assert "5 分钟" in blocked.get_data(as_text=True)
    # That machine is refused even the right PIN, and for the other staff too...
    assert intruder.sign_in_as(CLERK, CLERK_PIN).status_code == 429
    assert intruder.sign_in_as(RUNNER, RUNNER_PIN).status_code == 429
    # ...while the clerk at the counter signs in as usual.
    assert Machine(clocked, COUNTER).sign_in_as(CLERK, CLERK_PIN).status_code == 302
    assert Machine(clocked, COUNTER).sign_in(CLERK, CLERK_PIN).status_code == 302
    # After a block, the next wrong PIN from there blocks it again, for twice as long.
    clock.advance(seconds=301)
    again = intruder.sign_in_as(CLERK, "0000")
    assert again.status_code == 429 and again.headers["Retry-After"] == "600"
    clock.advance(seconds=601)
    assert intruder.sign_in_as(CLERK, CLERK_PIN).status_code == 302


def test_the_pin_form_of_a_code_is_throttled_per_machine_too(clocked):
    """``/signin/<code>`` (bookmarks, scripts) shares the guard of the page's form."""
    intruder = Machine(clocked, WIFI)
    codes = [intruder.sign_in(CLERK, "0000").status_code for _ in range(6)]
    assert codes == [401, 401, 401, 401, 429, 429]
    assert intruder.sign_in(CLERK, CLERK_PIN).status_code == 429
    assert Machine(clocked, COUNTER).sign_in(CLERK, CLERK_PIN).status_code == 302


def test_the_count_is_kept_in_the_database(agent, clocked, clock):
    intruder = Machine(clocked, WIFI)
    for _ in range(5):
        intruder.sign_in_as(RUNNER, "0000")
    restarted = create_app(agent.home, {"TESTING": True, "CLOCK": clock})
    assert Machine(restarted, WIFI).sign_in_as(RUNNER, RUNNER_PIN).status_code == 429
    assert Machine(restarted, OTHER_WIFI).sign_in_as(RUNNER, RUNNER_PIN).status_code == 302


def test_guessing_codes_tells_nothing_about_who_exists(agent, clocked):
    with write(agent.db):
        staff.disable(agent.db, RUNNER, now=2)
    answers = [  # each from a machine of its own: the first wrong PIN of each
        Machine(clocked, f"192.0.2.{100 + n}").sign_in_as(who, "0000")
        for n, who in enumerate(("nobody", CLERK, RUNNER, "李强", "王芳"))
    ]
    assert [a.status_code for a in answers] == [401] * 5
    texts = {a.get_data(as_text=True).split("再错", 1)[0][-60:] for a in answers}
    assert len(texts) == 1  # one message for all: unknown, wrong PIN, disabled
    for answer in answers[:3]:  # codes typed: no name shown (a name typed is kept as typed)
        page = answer.get_data(as_text=True)
        assert "王芳" not in page and "李强" not in page
    assert not any("已停用" in a.get_data(as_text=True) for a in answers)
    # A disabled runner who types their own right PIN is told why they cannot sign in.
    own = Machine(clocked, COUNTER).sign_in_as(RUNNER, RUNNER_PIN)
    assert own.status_code == 403 and "已停用" in own.get_data(as_text=True)


def test_the_pin_page_of_a_code_names_nobody(agent, pages: Pages):
    page = pages.get(f"/signin/{CLERK}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "王芳" not in text and 'name="pin"' in text
    missing = pages.get("/signin/no-such-code")
    assert missing.status_code == 200 and "There is no" not in missing.get_data(as_text=True)


def test_the_refusal_is_in_english_for_an_english_reader(clocked):
    machine = Machine(clocked, WIFI)
    machine.post("/lang", {"lang": "en", "next": "/signin"})
    for tries_left in (4, 3, 2, 1):
        wrong = machine.sign_in_as(CLERK, "0000").get_data(as_text=True)
        assert f"{tries_left} tries left" in wrong or f"{tries_left} try left" in wrong
    page = machine.sign_in_as(CLERK, "0000").get_data(as_text=True)
    assert "Too many wrong PINs from this computer. Try again in 5 min." in page


def test_good_sign_ins_from_one_machine_are_not_counted_against_it(clocked):
    counter = Machine(clocked, COUNTER)
    assert all(counter.sign_in_as(CLERK, CLERK_PIN).status_code == 302 for _ in range(8))
    assert counter.sign_in_as(CLERK, "0000").status_code == 401  # 4 tries left, not 0


def test_wrong_pins_outside_the_window_or_after_a_quiet_hour_are_forgotten(clocked, clock):
    machine = Machine(clocked, WIFI)
    for _ in range(4):
        assert machine.sign_in_as(CLERK, "0000").status_code == 401
    clock.advance(seconds=15 * 60 + 1)
    for _ in range(4):
        assert machine.sign_in_as(CLERK, "0000").status_code == 401
    assert machine.sign_in_as(CLERK, "0000").status_code == 429
    clock.advance(seconds=300 + 3601)  # an hour after the block: as if nothing happened
    wrong = machine.sign_in_as(CLERK, "0000")
    assert wrong.status_code == 401 and "再错 4 次" in wrong.get_data(as_text=True)


def test_the_wait_doubles_up_to_an_hour(clocked, clock):
    machine = Machine(clocked, WIFI)
    for _ in range(4):
        machine.sign_in_as(CLERK, "0000")
    waits = []
    for _ in range(6):
        answer = machine.sign_in_as(CLERK, "0000")
        assert answer.status_code == 429
        waits.append(int(answer.headers["Retry-After"]))
        clock.advance(seconds=waits[-1] + 1)
    assert waits == [300, 600, 1200, 2400, 3600, 3600]


def test_tries_in_flight_at_once_cannot_exceed_the_allowance(agent, clock):
    # Five tries begun from one machine and not yet settled (as the store counts them).
    entry = {"failures": 5, "since": clock(), "until": None, "blocks": 0, "at": clock()}
    with write(agent.db):
        meta.put(agent.db, staff.THROTTLE_KEY, {WIFI: entry})
    outcome = staff.sign_in(agent.db, CLERK, CLERK_PIN, address=WIFI, now=clock())
    assert outcome.reason == "locked" and outcome.locked_until == clock() + 1000
    assert staff.sign_in(agent.db, CLERK, CLERK_PIN, address=COUNTER, now=clock()).ok


def test_only_the_latest_machines_are_remembered(agent, clock, monkeypatch):
    monkeypatch.setattr(staff, "MAX_ADDRESSES", 8)  # 256 in use
    for n in range(12):
        staff.sign_in(agent.db, CLERK, "0000", address=f"2001:db8:{n:x}::1", now=clock() + n)
    counts = meta.get(agent.db, staff.THROTTLE_KEY)
    assert sorted(counts) == sorted(f"2001:db8:{n:x}::/64" for n in range(4, 12))


def test_ipv6_machines_are_counted_per_64_bit_prefix(clocked):
    for n in range(5):
        Machine(clocked, f"2001:db8:1:2::{n + 1:x}").sign_in_as(CLERK, "0000")
    assert Machine(clocked, "2001:db8:1:2::99").sign_in_as(CLERK, CLERK_PIN).status_code == 429
    assert Machine(clocked, "2001:db8:1:3::1").sign_in_as(CLERK, CLERK_PIN).status_code == 302


def test_codes_in_another_case_and_shared_names(agent, clocked):
    assert Machine(clocked, COUNTER).sign_in_as(CLERK.upper(), CLERK_PIN).status_code == 302
    with write(agent.db):
        staff.add(agent.db, code="clerk-02", name="王芳", role="clerk", pin="2468", now=1)
    # Two staff called 王芳: the name names neither, the codes still work.
    assert Machine(clocked, COUNTER).sign_in_as("王芳", CLERK_PIN).status_code == 401
    assert Machine(clocked, OTHER_WIFI).sign_in_as("clerk-02", "2468").status_code == 302


def test_an_unknown_code_costs_a_pin_check_too(agent, clock, monkeypatch):
    checked: list[str] = []
    real = staff.pin_matches

    def spy(pin: str, stored: str) -> bool:
        checked.append(stored)
        return real(pin, stored)

    monkeypatch.setattr(staff, "pin_matches", spy)
    staff.sign_in(agent.db, "nobody", "1234", address=WIFI, now=clock())
    assert checked == [staff._DUMMY_HASH]


def test_with_no_staff_yet_the_page_says_how_to_add_one(agent, clocked):
    with write(agent.db):
        agent.db.execute("DELETE FROM staff")
    page = Machine(clocked, COUNTER).get("/signin").get_data(as_text=True)
    assert "daiban-agent staff add" in page


def test_an_empty_form_is_sent_back_without_counting_a_try(agent, clocked):
    machine = Machine(clocked, WIFI)
    empty = machine.sign_in_as("", "")
    assert empty.status_code == 400
    page = empty.get_data(as_text=True)
    assert "请输入员工代码" in page and "请输入 PIN 码" in page
    assert meta.get(agent.db, staff.THROTTLE_KEY) is None


def test_machines_quiet_for_long_are_forgotten(agent, clocked, clock):
    Machine(clocked, WIFI).sign_in_as(CLERK, "0000")
    clock.advance(days=1)
    Machine(clocked, COUNTER).sign_in_as(CLERK, CLERK_PIN)
    assert list(meta.get(agent.db, staff.THROTTLE_KEY)) == [COUNTER]
