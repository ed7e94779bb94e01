"""Every error code the hub's API can answer is listed in docs/api.md with its status.

The codes are found in the code itself: every raise of a hub.errors.HubError class (the one
base of the hub's refusals) with its code and status, written out or the class's own, and
the protocol's codes (sync.errors). A code added without a row in docs/api.md's table, or
a row whose status is not the one the hub answers with, fails here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Response

import hub
from hub.errors import ApiError, HubError
from sync.errors import ERROR_CODES

ROOT = Path(__file__).parent.parent.parent
API_MD = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `([a-z_.]+)` \| ([0-9 /]+) \|", re.MULTILINE)
DOCUMENTED = {code: {int(s) for s in status.split("/")} for code, status in ROW.findall(API_MD)}
# Refusals of one record inside an accepted batch are no HTTP answer: the acknowledgement
# carries them, and docs/api.md names them in the paragraph that says so.
_AT = API_MD.index("Records refused **inside**")
RECORD_REASONS = set(re.findall(r"`([a-z_.]+)`", API_MD[_AT : API_MD.index("\n\n", _AT)]))


def error_classes() -> dict[str, type[HubError]]:
    """Every HubError class of the hub, by name (the hub's modules imported to find them)."""
    for module in pkgutil.walk_packages(hub.__path__, "hub."):
        if not module.name.endswith("__main__"):  # that one runs the CLI
            importlib.import_module(module.name)
    found: dict[str, type[HubError]] = {}
    todo: list[type[HubError]] = [HubError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _const(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def raised() -> Iterator[tuple[str, int, str]]:
    """(code, status, where) of every HubError the hub's code makes."""
    classes = error_classes()
    for path in sorted((ROOT / "hub").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            cls = classes.get(str(name))
            if cls is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            kw = {k.arg: k.value for k in node.keywords}
            if issubclass(cls, ApiError):
                status, code = _const(node.args[0]), _const(node.args[1])
            else:
                code = _const(kw["code"]) if "code" in kw else cls.code
                status = _const(kw["status"]) if "status" in kw else cls.status
            assert isinstance(code, str) and isinstance(status, int), (
                f"{where}: a HubError's code and status are written out, so docs can list them"
            )
            yield code, status, where


RAISED = sorted(set(raised()))
# The protocol's codes as the API answers them; one the hub answers itself with a status of
# its own (unseal_failed: a reveal whose stored data does not open is the hub's failure, 500)
# is checked above with that status.
PROTOCOL = sorted(
    (code, cls.status)
    for code, cls in ERROR_CODES.items()
    if code != "protocol" and code not in {raised_code for raised_code, _, _ in RAISED}
)


def test_the_walk_finds_the_hubs_refusals():
    codes = {code for code, _, _ in RAISED}
    # A refactor that hides codes from this test must not make it pass vacuously.
    assert {"unauthenticated", "not_found", "version_stale", "illegal_transition"} <= codes
    assert {"blob.offset_mismatch", "batch_conflict", "tracking_in_use", "enrol_code_used"} <= codes


@pytest.mark.parametrize(("code", "status", "where"), RAISED)
def test_every_hub_error_code_is_in_api_md_with_its_status(code, status, where):
    if code in RECORD_REASONS and code not in DOCUMENTED:
        return  # a record's reason in the acknowledgement, listed as such
    assert code in DOCUMENTED, f"{where}: error code {code} is not listed in docs/api.md"
    assert status in DOCUMENTED[code], (
        f"{where}: {code} is answered with {status}, docs/api.md says {DOCUMENTED[code]}"
    )


@pytest.mark.parametrize(("code", "status"), PROTOCOL)
def test_every_protocol_error_code_is_in_api_md_with_its_status(code, status):
    assert status in DOCUMENTED.get(code, set()), f"{code} ({status}) is not in docs/api.md"


def test_a_broken_rule_inside_the_hub_is_its_failure_not_the_callers(hub, caplog):
    """A CalendarError means the hub's own records do not add up (pauses that overlap after
    the clock went back): 500 internal, logged, its insides not told; a bad calendar file an
    operator loads is theirs (400)."""
    from hub.api.errors import INTERNAL, json_error
    from hub.workdays import CalendarError, CalendarFileError

    with hub.app.test_request_context("/api/v1/applications/x/actions", method="POST"):
        answer = json_error(CalendarError("pause 1 ends on 2026-09-20, before it starts"))
        assert isinstance(answer, Response) and answer.json is not None
        assert (answer.status_code, answer.json["code"]) == (500, "internal")
        assert answer.json["error"] == INTERNAL
        assert "pause 1" in caplog.text  # logged for the operator
        refused = json_error(CalendarFileError(3, "not a date"))
        assert isinstance(refused, Response) and refused.json is not None
        assert (refused.status_code, refused.json["code"]) == (400, "invalid")


def test_a_refusal_no_form_caught_keeps_its_status_on_the_page(hub):
    from hub.web.errors import page_error
    from sync.errors import InvalidValue

    with hub.app.test_request_context("/applications/x"):
        for exc, status in (
            (HubError("taken meanwhile", code="case", status=409), 409),
            (InvalidValue("not a phone number", field="phone"), 400),
        ):
            page = page_error(exc)
            assert isinstance(page, tuple) and page[1] == status
