"""Cases: moving an application through the workflow, with its clock, timeline and feed.

Every change of state goes through ``transition()``, whoever asks for it (a department
officer, an operator, an outlet's record, the system), so the rules of workflow.py, the
time-limit clock, the timeline and the outlet's pull feed can never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from hub import store, workdays, workflow
from hub.catalogue import Catalogue
from hub.errors import HubError
from sync import glossary, refusals
from sync import records as r
from sync.clock import china_date
from sync.codec import canonical
from sync.ids import uuid7


@dataclass
class Hub:
    """What acting on cases needs: the database, the catalogue, the calendar, the clock."""

    db: Database
    catalogue: Catalogue
    calendar: workdays.WorkCalendar
    now_ms: int
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    warn_days: int = 2
    followup_days: int = 5  # working days to follow up a bad rating, where no city rule is set

    @property
    def today(self) -> date:
        return china_date(self.now_ms)

    def new_id(self) -> str:
        return uuid7(self.now_ms, os.urandom(10))

    def emit(self, outlet: str, record: r.DownlinkRecord, application: str | None) -> int:
        """Append a downlink record to an outlet's feed ('*' for every outlet)."""
        kind = record.__struct_config__.tag
        return store.applications.feed_append(
            self.db,
            outlet=outlet,
            kind=str(kind),
            application=application,
            body=canonical(record).decode("utf-8"),
            now=self.now_ms,
        )


# The department's decision (办结): what completion statistics count.
COMPLETING = frozenset({"approve", "reject", "refuse"})


class CaseError(HubError):
    """A request about a case that cannot be carried out; ``code`` is stable."""

    code = "case"
    status = 409


class RefusalReasonError(CaseError):
    """A refusal (``refuse`` 不予受理, ``reject`` 不予办理) without a reason the outlet can read
    out to the citizen (sync/refusals.py); ``field`` is ``reason`` or ``note``, ``problems``
    the codes of every problem found."""

    code = "refusal_reason"
    status = 400


def refusal_reason(action: str, reason: object, note: object) -> str:
    """The reason code of a refusal, checked by the one rule (sync.refusals.refusal_problems);
    :class:`RefusalReasonError` naming every problem at once if it cannot be made."""
    problems = refusals.refusal_problems(action, reason, note)
    if problems:
        raise RefusalReasonError(
            "; ".join(p.message for p in problems),
            field=problems[0].field,
            problems=[p.code for p in problems],
        )
    assert isinstance(reason, str)
    return reason.strip()


def _sla_fields(hub: Hub, app: dict[str, Any], action: str, event: int) -> dict[str, Any]:
    """How an action moves the time-limit clock; ``event`` is the action's timeline event."""
    today = hub.today
    if action == "accept":
        item = hub.catalogue.item(app["item"])
        limit = item.promised_days if item else 0
        due = workdays.due_date(hub.calendar, today, limit)
        return {
            "accepted_on": today.isoformat(),
            "limit_days": limit,
            "due_date": due.date.isoformat(),
            "due_provisional": int(due.provisional),
            "sla_state": workdays.sla_state(hub.calendar, due, today, hub.warn_days),
        }
    if action == "request_supplement":
        # One pause per request, keyed by its event: several may start on one day (asked,
        # supplied and asked again), and the same event never opens two.
        store.applications.open_pause(
            hub.db, app["id"], opened_by=event, started_on=today.isoformat()
        )
        # No running due date while the citizen is asked for more: it is set again on resume.
        return {"sla_state": "paused", "due_date": None, "due_provisional": 0}
    if action == "supplement":
        store.applications.close_pause(hub.db, app["id"], today.isoformat())
        return _running_due(hub, app)
    if action in COMPLETING:
        done: dict[str, Any] = {"completed_at": hub.now_ms}
        if app.get("due_date"):
            on_time = today <= date.fromisoformat(app["due_date"])
            done["sla_state"] = "met" if on_time else "late"
        return done
    return {}


def _running_due(hub: Hub, app: dict[str, Any]) -> dict[str, Any]:
    pauses = [
        (date.fromisoformat(a), date.fromisoformat(b) if b else None)
        for a, b in store.applications.pauses(hub.db, app["id"])
    ]
    due = workdays.due_after_resume(
        hub.calendar, date.fromisoformat(app["accepted_on"]), app["limit_days"], pauses
    )
    if due is None:
        return {"sla_state": "paused"}
    return {
        "due_date": due.date.isoformat(),
        "due_provisional": int(due.provisional),
        "sla_state": workdays.sla_state(hub.calendar, due, hub.today, hub.warn_days),
    }


def transition(
    hub: Hub,
    app: dict[str, Any],
    action: str,
    *,
    role: str,
    actor: str,
    note: str = "",
    unit: str | None = None,
    data: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Carry out a workflow action on an application; return the updated row.

    A refusal (``refuse``, ``reject``) needs a ``reason`` (sync/refusals.py), checked after who
    may act from where and before anything is written: its code goes to the event's data, and
    the outlet is told its words before the note (``<words>：<note>``), in the timeline too.
    """
    new_status = _next_state(app, action, role)
    if action in refusals.REFUSAL_ACTIONS:
        code = refusal_reason(action, reason, note)
        data = {**(data or {}), "reason": code}
        note = refusals.refusal_note(code, note)
    elif reason is not None:
        raise ValueError(f"{action} is not a refusal: it takes no reason")
    fields: dict[str, Any] = {
        "status": new_status,
        "version": app["version"] + 1,
        "updated_at": hub.now_ms,
    }
    if unit is not None:
        fields["unit"] = unit
    if action == "return_to_triage":
        fields["unit"] = None  # out of the unit's queue until an operator routes it again
    event = store.applications.add_event(
        hub.db,
        application=app["id"],
        at=hub.now_ms,
        actor=actor,
        action=action,
        from_status=app["status"],
        to_status=new_status,
        note=note,
        data=data,
    )
    fields.update(_sla_fields(hub, app, action, event))
    store.applications.update_application(hub.db, app["id"], **fields)
    updated = {**app, **fields}
    hub.emit(app["outlet"], status_record(hub, updated, note=note), app["id"])
    return updated


def _next_state(app: dict[str, Any], action: str, role: str) -> str:
    """The state ``action`` by ``role`` leads ``app`` to, or the CaseError saying why not."""
    try:
        return workflow.next_state(app["status"], action, role)
    except workflow.ActionNotAllowed as exc:
        raise CaseError(str(exc), code="action_not_allowed", status=403) from None
    except workflow.IllegalTransition as exc:
        raise CaseError(str(exc), code="illegal_transition") from None


def status_record(hub: Hub, app: dict[str, Any], *, note: str = "") -> r.StatusChanged:
    """The downlink record that tells an outlet where its application stands."""
    return r.StatusChanged(
        id=hub.new_id(),
        application=app["id"],
        status=app["status"],
        version=app["version"],
        at=hub.now_ms,
        unit=app.get("unit"),
        due_date=app.get("due_date"),
        due_provisional=bool(app.get("due_provisional")),
        note=note[:2000],
    )


def request_supplement(
    hub: Hub,
    app: dict[str, Any],
    *,
    actor: str,
    role: str,
    materials: list[str],
    message: str,
) -> dict[str, Any]:
    """Ask the citizen, through the outlet, for more materials; the clock pauses.

    The request is the department unit's, and the outlet's record names it (``unit`` is
    required by the protocol, section 4.2): an application not routed to a unit cannot be
    asked for a supplement.
    """
    if not materials and not message.strip():
        raise CaseError(
            "name the materials needed or say what is needed", code="invalid", status=400
        )
    _next_state(app, "request_supplement", role)  # who may ask, and from which state, first
    unit = app.get("unit")
    if not unit:
        raise CaseError(
            "cannot request_supplement an application that no department unit holds:"
            " route it to a unit first",
            code="illegal_transition",
        )
    updated = transition(
        hub,
        app,
        "request_supplement",
        role=role,
        actor=actor,
        note=message,
        data={"materials": materials},
    )
    hub.emit(
        app["outlet"],
        r.SupplementRequested(
            id=hub.new_id(),
            application=app["id"],
            version=updated["version"],
            at=hub.now_ms,
            unit=unit,
            materials=tuple(materials),
            message=message[:2000],
        ),
        app["id"],
    )
    return updated


def refresh_clock(hub: Hub, app: dict[str, Any]) -> str | None:
    """Recompute an application's time-limit state; the new state if anything changed.

    A due date that moved (a calendar year loaded, an override corrected) is sent to the
    outlet, so the date a clerk tells a citizen is never stale.
    """
    if app["status"] != "accepted" or not app.get("accepted_on"):
        return None
    fields = _running_due(hub, app)
    due_moved = fields.get("due_date") != app.get("due_date") or fields.get(
        "due_provisional"
    ) != app.get("due_provisional")
    if not due_moved and fields.get("sla_state") == app.get("sla_state"):
        return None
    store.applications.update_application(hub.db, app["id"], **fields, updated_at=hub.now_ms)
    if due_moved:
        hub.emit(
            app["outlet"],
            status_record(hub, {**app, **fields}, note=glossary.note("due_date_updated")),
            app["id"],
        )
    return str(fields.get("sla_state"))
