"""The outlet pages' sign-in cookie lasts a working day by Max-Age, not only by an absolute
Expires on the laptop's clock: a phone whose clock is 8 hours off stays signed in."""

from __future__ import annotations

from tests.agent.web.conftest import Pages


def test_signing_in_sets_a_cookie_with_max_age(pages: Pages) -> None:
    answer = pages.sign_in()
    assert answer.status_code == 302
    cookies = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("daiban_agent=")]
    assert cookies, answer.headers
    assert "Max-Age=28800" in cookies[-1] and "Expires=" in cookies[-1], cookies[-1]
    seen = pages.get("/")
    again = [c for c in seen.headers.getlist("Set-Cookie") if c.startswith("daiban_agent=")]
    assert all("Max-Age=28800" in c for c in again), again
