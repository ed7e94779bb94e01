"""The hub's pages, like the outlet's, send the signed-in cookie with Max-Age (8 hours) beside
Expires, so a browser whose clock is off the hub's keeps it for the working day."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.hub.web.test_pages import PASSWORD, add_user, token
from tests.support.served import Clock, served_hub

MONDAY_10AM = 1_795_500_000_000


def test_signing_in_to_the_hub_sets_a_cookie_with_max_age(tmp_path: Path) -> None:
    with served_hub(tmp_path / "hub", Clock(MONDAY_10AM)) as hub:
        add_user(hub, "ops", "operator")
        s = requests.Session()
        page = s.get(f"{hub.url}/signin", timeout=10)
        done = s.post(
            f"{hub.url}/signin",
            data={"name": "ops", "password": PASSWORD, "csrf_token": token(page)},
            timeout=10,
            allow_redirects=False,
        )
        assert done.status_code in (302, 303), done.text[:300]
        cookie = done.headers["Set-Cookie"]
        assert cookie.startswith("daiban_hub=")
        assert "Max-Age=28800" in cookie and "Expires=" in cookie, cookie
