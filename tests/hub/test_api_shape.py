"""Every refusal of the bearer-token API has the JSON error shape, whatever the body or the
method: malformed, too deep or oversize JSON bodies, a wrong method (with its ``Allow``
header), parameters that only look like integers, and a reveal of personal data without a
reason, which must change nothing.

Against a hub served by waitress on loopback (tests/support/served.py), as a department's
system would reach it.
"""

from __future__ import annotations

import gc
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from hub import store
from hub.carriers import new_secret, sign_webhook
from hub.catalogue import sample_catalogue
from hub.setup import init_data
from hub.store import open_db, write
from hub.users import create_user
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.support.served import ServedHub, served_hub

APP_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"  # a well-formed id no application has
# The routes of hub/api_cases.py and hub/api_delivery.py that read a JSON body.
JSON_ROUTES = [
    f"/api/v1/applications/{APP_ID}/actions",
    f"/api/v1/applications/{APP_ID}/shipment",
    "/api/v1/shipments/01a2092c-4952-730d-9062-8b0a59af7572/events",
    "/api/v1/followups/1/resolve",
    "/api/v1/ratings/01a2092b-673b-7ba6-8139-29346cc9bc60/exclude",
]
ERROR_KEYS = {"ok", "code", "error", "status"}


def error(response: requests.Response) -> dict[str, Any]:
    """The JSON error body, checked for the shape every refusal has."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert isinstance(body, dict) and ERROR_KEYS <= body.keys(), body
    assert body["ok"] is False and body["status"] == response.status_code, body
    return body


def bearer(hub: ServedHub, name: str, role: str, unit: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user(name, role, unit)}"
    return session


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    """One hub for the tests that change nothing in it."""
    from tests.hub.conftest import MONDAY_10AM
    from tests.support.served import Clock

    with served_hub(tmp_path_factory.mktemp("shape") / "hub", Clock(MONDAY_10AM)) as served:
        yield served


@pytest.fixture(scope="module")
def ops(shared: ServedHub) -> requests.Session:
    return bearer(shared, "ops", "operator")


def audit_rows(hub: ServedHub) -> int:
    db = hub.db()
    try:
        return db.table("audit_log").count
    finally:
        db.close()


# --- bodies that are not JSON objects ----------------------------------------------------------

MALFORMED = {
    "nested 100,000 deep": b"[" * 100_000,
    "nested 100,000 deep, closed": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 50 deep": b'{"a":' * 50 + b"1" + b"}" * 50,
    "a lone surrogate": b'{"action": "accept", "note": "\\udc80"}',
    "a lone surrogate in a key": b'{"\\ud800": 1, "action": "accept"}',
    "not UTF-8": b'{"action": "\xff\xfe"}',
    "cut short": b'{"action": "acc',
    "NaN": b'{"action": "accept", "version": NaN}',
    "Infinity": b'{"action": "accept", "version": -Infinity}',
    "a 5000-digit number": b'{"action": "accept", "version": ' + b"9" * 5000 + b"}",
    "empty": b"",
}


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_body_that_is_not_readable_json_is_refused_400_invalid_json(shared, ops, path, name):
    response = ops.post(
        shared.url + path,
        data=MALFORMED[name],
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
    body = error(response)
    assert (body["code"], body.get("field")) == ("invalid_json", "body"), body


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_a_body_not_sent_as_json_is_refused_400_invalid_json(shared, ops, path):
    response = ops.post(
        shared.url + path, data=b'{"action": "accept"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_json"


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("document", [b"[]", b'"accept"', b"null", b"3"])
def test_json_that_is_not_an_object_is_refused_400_invalid(shared, ops, path, document):
    response = ops.post(
        shared.url + path, data=document, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = error(response)
    assert (body["code"], body.get("field")) == ("invalid", "body"), body


def test_a_body_over_the_hubs_limit_is_refused_413_too_large_in_the_error_shape(tmp_path, clock):
    with served_hub(tmp_path / "hub", clock, MAX_CONTENT_LENGTH=1024) as hub:
        api = bearer(hub, "ops", "operator")
        for path in JSON_ROUTES:
            body = b'{"action": "accept", "note": "' + b"x" * 2000 + b'"}'
            response = api.post(
                hub.url + path, data=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 413, (path, response.text[:200])
            assert error(response)["code"] == "too_large"


@contextmanager
def serve_like_the_serve_command(data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app and the waitress options ``daiban-hub serve`` uses, served on an ephemeral
    port: the command is run with ``waitress.serve`` replaced by a recorder, then the same
    app is served with the same options."""
    import waitress
    from waitress.server import BaseWSGIServer, create_server

    from hub.cli import cli

    seen: dict[str, Any] = {}

    def record(app: Any, **options: Any) -> None:
        seen.update(app=app, options=options)

    threshold = gc.get_threshold()
    monkeypatch.setattr(waitress, "serve", record)
    try:
        result = CliRunner().invoke(cli, ["--data", str(data), "serve", "--port", "1"])
    finally:
        monkeypatch.undo()
        gc.unfreeze()  # `serve` freezes the loaded app for a long-lived process: undo it here
        gc.set_threshold(*threshold)
    assert result.exit_code == 0, result.output
    options = {k: v for k, v in seen["options"].items() if k not in ("host", "port")}
    channels: dict[int, Any] = {}
    server = create_server(seen["app"], map=channels, host="127.0.0.1", port=0, **options)
    assert isinstance(server, BaseWSGIServer)  # one address: one socket
    port = server.getsockname()[1]
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=channels, count=1)
        # types-waitress says int seconds; waitress takes any number (as served.py notes).
        server.task_dispatcher.shutdown(timeout=0.5)  # type: ignore[arg-type]
        for channel in list(channels.values()):
            channel.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopping.set()
        thread.join(timeout=5)


def _post_oversize(url: str, path: str, token: str, size: int) -> tuple[int, dict[str, str], bytes]:
    """POST ``size`` bytes without holding them in memory; the status, headers and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = b" " * (1 << 20)
        try:
            for sent in range(0, size, len(chunk)):
                sock.sendall(chunk[: min(len(chunk), size - sent)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer before the body is all sent, and close
        answer = b""
        while data := sock.recv(65536):
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def test_the_served_hub_answers_a_body_over_64_mib_413_in_the_error_shape(
    tmp_path, clock, monkeypatch
):
    data = tmp_path / "hub"
    init_data(data, sample_catalogue(), now=clock())
    db = open_db(data / "hub.db", migrate=False)
    with write(db):
        token = create_user(
            db, name="ops", role="operator", unit=None, known_units=set(), now=clock()
        ).token
    db.close()
    with serve_like_the_serve_command(data, monkeypatch) as url:
        status, headers, body = _post_oversize(
            url, f"/api/v1/applications/{APP_ID}/actions", token, 64 * 1024 * 1024 + 1
        )
    assert status == 413, body[:200]
    assert headers.get("Content-Type", "").startswith("application/json"), headers
    answer = json.loads(body)
    assert (answer["ok"], answer["code"], answer["status"]) == (False, "too_large", 413)


# --- methods, and the headers of werkzeug's own answers ---------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/applications", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", f"/api/v1/applications/{APP_ID}/actions", {"POST", "OPTIONS"}),
        ("POST", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/api/v1/sync/push", {"POST", "OPTIONS"}),
    ],
)
def test_a_wrong_method_is_refused_405_with_allow_in_the_error_shape(shared, method, path, allowed):
    response = requests.request(method, shared.url + path, timeout=10)
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_an_unknown_url_is_404_not_found_in_the_error_shape(shared):
    response = requests.get(shared.url + "/api/v1/nowhere", timeout=10)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


# --- integer parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/applications", "per_page"),
        ("/api/v1/applications", "page"),
        ("/api/v1/devices", "stale_hours"),
    ],
)
@pytest.mark.parametrize("value", ["²", "١٢", "9" * 5000, "-1", "1.5", " 1", ""])
def test_an_integer_parameter_must_be_ascii_digits_in_range(shared, ops, path, name, value):
    response = ops.get(shared.url + path, params={name: value}, timeout=10)
    assert response.status_code == 400, response.text[:200]
    body = error(response)
    assert (body["code"], body["field"]) == ("invalid", name)


@pytest.mark.parametrize("followup", ["³", "٣", "9" * 5000, "99999999999999999999"])
def test_a_followup_id_that_is_not_a_plain_number_is_not_found(shared, ops, followup):
    response = ops.post(f"{shared.url}/api/v1/followups/{followup}/resolve", json={"note": "done"})
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/applications", "sla_state", "late-ish"),
        ("/api/v1/applications", "overdue", "yes"),
        ("/api/v1/shipments", "stale", "maybe"),
        (f"/api/v1/applications/{APP_ID}", "reveal", "please"),
    ],
)
def test_an_unknown_filter_or_flag_value_is_refused_rather_than_ignored(
    shared, ops, path, name, value
):
    response = ops.get(shared.url + path, params={name: value, "reason": "x"}, timeout=10)
    assert response.status_code == 400, response.text[:200]
    assert (error(response)["code"], error(response)["field"]) == ("invalid", name)


# --- action bodies on a real application -----------------------------------------------------


@pytest.fixture
def routed(hub):
    """An application routed to HRSS-510107, with its officer's and an operator's sessions."""
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    assert device.push([app]).results[0].status == "accepted"
    officer = bearer(hub, "wang", "officer", unit="HRSS-510107")
    operator = bearer(hub, "ops", "operator")
    return app.id, officer, operator


@pytest.mark.parametrize("unit", [[], {}, ["HRSS-510107"], 7, None])
def test_route_to_a_unit_that_is_not_a_code_is_400_naming_unit(hub, routed, unit):
    app_id, _, operator = routed
    response = act(hub, operator, app_id, "route", unit=unit)
    assert response.status_code == 400, response.text[:200]
    assert error(response)["field"] == "unit"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "2"),
        ("version", True),
        ("version", 0),
        ("version", 2.0),
        ("note", ["a"]),
        ("note", 5),
    ],
)
def test_an_action_field_of_the_wrong_type_is_400_naming_it(hub, routed, field, value):
    app_id, officer, _ = routed
    response = act(hub, officer, app_id, "accept", **{field: value})
    assert response.status_code == 400, response.text[:200]
    assert (error(response)["code"], error(response)["field"]) == ("invalid", field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("materials", ["PHOTO", "not a code"]),
        ("materials", [""]),
        ("materials", ["x" * 65]),
        ("materials", "PHOTO"),
        ("message", {"text": "more"}),
        ("message", "x" * 2001),
    ],
)
def test_a_supplement_request_the_outlet_could_not_read_is_400(hub, routed, field, value):
    """Materials go to the outlet as codes (sync.types.Code) and the message as text: what the
    device could not decode from its feed is refused here, and nothing changes."""
    app_id, officer, _ = routed
    assert act(hub, officer, app_id, "accept").status_code == 200
    body = {"materials": ["PHOTO"], "message": "请补交照片", field: value}
    response = act(hub, officer, app_id, "request_supplement", **body)
    assert response.status_code == 400, response.text[:200]
    assert (error(response)["code"], error(response)["field"]) == ("invalid", field)
    shown = officer.get(f"{hub.url}/api/v1/applications/{app_id}", timeout=10).json()
    assert shown["application"]["status"] == "accepted"


# --- reading personal data --------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"reveal": "1"},
        {"reveal": "true", "reason": ""},
        {"reveal": "1", "reason": "   "},
        {"reveal": "1", "reason": "\t\n"},
        {"reveal": "1", "reason": "x" * 501},
    ],
)
def test_a_reveal_without_a_reason_is_400_and_changes_nothing(hub, routed, params):
    """The page's rule (hub/web/views.py reveal_personal): a reason is required, at most 500
    characters; refused, nothing is decrypted and nothing is written to the audit log."""
    app_id, officer, _ = routed
    before = audit_rows(hub)
    response = officer.get(f"{hub.url}/api/v1/applications/{app_id}", params=params, timeout=10)
    assert response.status_code == 400, response.text[:300]
    body = error(response)
    assert (body["code"], body["field"]) == ("invalid", "reason")
    assert set(body) == ERROR_KEYS | {"field"}  # nothing of the application
    assert audit_rows(hub) == before


def test_a_reveal_with_a_reason_is_audited_with_it(hub, routed):
    app_id, officer, _ = routed
    before = audit_rows(hub)
    response = officer.get(
        f"{hub.url}/api/v1/applications/{app_id}",
        params={"reveal": "1", "reason": "  电话回访  "},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["application"]["personal"]["name"]
    db = hub.db()
    try:
        rows = list(db.query("SELECT user, detail FROM audit_log ORDER BY id"))
    finally:
        db.close()
    assert audit_rows(hub) == before + 1
    assert rows[-1] == {"user": "wang", "detail": "电话回访"}


# --- times that the outlet's device could not read back -------------------------------------


@pytest.fixture
def issued(hub):
    """A mail application whose result is issued, with EMS registered: its device, id,
    officer session and EMS's webhook secret."""
    secret = new_secret()
    db = hub.db()
    with write(db):
        store.shipments.add_carrier(db, code="EMS", name="EMS", secret=secret, now=hub.clock())
    db.close()
    device = enrolled(hub)
    app = apps_for(device, 1, mail=True)[0]
    assert device.push([app]).results[0].status == "accepted"
    officer = bearer(hub, "wang", "officer", unit="HRSS-510107")
    for action in ("accept", "approve", "issue_result"):
        assert act(hub, officer, app.id, action).status_code == 200, action
    return device, app.id, officer, secret


# Unix ms before 1990 (sync.types.Millis): the records that carry them would not decode.
OLD_TIMES = [1000, "1971-01-01T00:00:00+00:00", "1989-12-31T23:59:59+08:00"]


@pytest.mark.parametrize("at", OLD_TIMES)
def test_a_posting_time_the_records_cannot_carry_is_400_and_the_feed_stays_readable(
    hub, issued, at
):
    device, app_id, officer, _ = issued
    response = officer.post(
        f"{hub.url}/api/v1/applications/{app_id}/shipment",
        json={"carrier": "EMS", "tracking": "EA123456785CN", "at": at},
        timeout=10,
    )
    assert response.status_code == 400, response.text[:200]
    assert (error(response)["code"], error(response)["field"]) == ("invalid", "at")
    device.pull_all()  # the outlet's feed still decodes


@pytest.mark.parametrize("at", OLD_TIMES)
def test_an_event_time_the_records_cannot_carry_is_400_by_hand_or_by_webhook(hub, issued, at):
    device, app_id, officer, secret = issued
    posted = officer.post(
        f"{hub.url}/api/v1/applications/{app_id}/shipment",
        json={"carrier": "EMS", "tracking": "EA123456785CN"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    shipment = posted.json()["shipment"]["id"]
    by_hand = officer.post(
        f"{hub.url}/api/v1/shipments/{shipment}/events",
        json={"event": "in_transit", "at": at},
        timeout=10,
    )
    assert by_hand.status_code == 400, by_hand.text[:200]
    assert (error(by_hand)["code"], error(by_hand)["field"]) == ("invalid", "at")
    event = {"event_id": "e1", "tracking": "EA123456785CN", "event": "in_transit", "at": at}
    body = json.dumps(event).encode()
    headers = sign_webhook(secret, body, message_id="msg_1", at=datetime.now(UTC))
    pushed = requests.post(
        f"{hub.url}/api/v1/carriers/EMS/events", data=body, headers=headers, timeout=10
    )
    assert pushed.status_code == 400, pushed.text[:200]
    assert (error(pushed)["code"], error(pushed)["field"]) == ("invalid", "at")
    device.pull_all()  # the outlet's feed still decodes


def test_a_signed_webhook_body_nested_past_the_parser_is_400_not_500(hub, issued):
    """The carrier's secret signs it, so it gets past the signature; json.loads then raised
    RecursionError, which is no ValueError."""
    secret = issued[3]
    body = b"[" * 50_000
    headers = sign_webhook(secret, body, message_id="msg_deep", at=datetime.now(UTC))
    pushed = requests.post(
        f"{hub.url}/api/v1/carriers/EMS/events", data=body, headers=headers, timeout=10
    )
    assert pushed.status_code == 400, pushed.text[:200]
    assert error(pushed)["field"] == "body"


@pytest.mark.parametrize("path", ["/api/v1/stats", "/api/v1/stats.csv", "/api/v1/stats/daily"])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "9999-12-31"}, "to"),
        ({"to": "0001-01-29"}, "to"),  # the default start, 29 days back, would underflow
        ({"from": "0001-01-01"}, "from"),
    ],
)
def test_a_period_at_the_ends_of_the_calendar_is_400_naming_it(shared, ops, path, params, field):
    """date.max + 1 day overflowed (500); no time the hub keeps is that far out anyway."""
    response = ops.get(shared.url + path, params=params, timeout=10)
    assert response.status_code == 400, response.text[:200]
    assert (error(response)["code"], error(response)["field"]) == ("invalid", field)
