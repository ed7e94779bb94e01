"""The agent's pages over a real home folder enrolled at a real served hub, driven through
Flask's test client with CSRF protection on (every form posts the token from its page)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from agent.store import staff, write
from agent.web import create_app
from tests.agent.conftest import Agent
from tests.support.served import ServedHub

WUHOU = "PO-WUHOU-01"
CLERK, CLERK_PIN = "clerk-01", "1234"
RUNNER, RUNNER_PIN = "runner-07", "567890"
ID_X = "11010519491231002X"
ID_BAD_CHECK = "110105194912310021"
PHONE = "13812345678"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Pages:
    """A browser stand-in: keeps the session cookie and sends each form's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/signin") -> str:
        page = self.client.get(path)
        found = TOKEN.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, **kw)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any
    ) -> TestResponse:
        body = dict(data or {})
        body["csrf_token"] = self.token(page or "/signin")
        return self.client.post(path, data=body, **kw)

    def sign_in(self, code: str = CLERK, pin: str = CLERK_PIN) -> TestResponse:
        return self.post(f"/signin/{code}", {"pin": pin})

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


def add_staff(agent: Agent) -> None:
    with write(agent.db):
        staff.add(agent.db, code=CLERK, name="王芳", role="clerk", pin=CLERK_PIN, now=1)
        staff.add(agent.db, code=RUNNER, name="李强", role="runner", pin=RUNNER_PIN, now=1)


@pytest.fixture
def agent(hub: ServedHub, tmp_path: Path) -> Agent:
    enrolled = Agent(tmp_path / "agent", hub, WUHOU)
    add_staff(enrolled)
    return enrolled


@pytest.fixture
def app(agent: Agent) -> Flask:
    return create_app(agent.home, {"TESTING": True})


@pytest.fixture
def pages(app: Flask) -> Iterator[Pages]:
    with app.test_client() as client:
        yield Pages(client)


@pytest.fixture
def clerk(pages: Pages) -> Pages:
    assert pages.sign_in().status_code == 302
    return pages


def scan(name: str = "id.jpg", size: int = 2000) -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"\xff\xd8\xff" + bytes(range(256)) * (size // 256)), name


def application_form(**changes: Any) -> dict[str, Any]:
    """A valid 社会保障卡申领 form: ID card scanned, photo promised later, pickup."""
    form: dict[str, Any] = {
        "name": "张三",
        "id_type": "resident_id",
        "id_number": ID_X,
        "phone": PHONE,
        "region": "",
        "m-ID-CARD": "scan",
        "f-ID-CARD": scan(),
        "m-PHOTO": "promise",
        "m-GUARDIAN-ID": "",
        "delivery": "pickup",
        "note": "",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}
