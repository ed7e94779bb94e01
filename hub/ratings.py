"""Citizens' ratings (好差评) and the follow-ups bad ones open.

A rating is taken once per application, after the result reached the citizen. 不满意 and
非常不满意 open a follow-up due in working days by the city's rule (5 to 15 in practice; set
per city, the hub's default otherwise), closed only with a resolution note. A rating found
mistaken or malicious on review is excluded with a reason: it stays on record but no longer
counts, and its open follow-up closes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hub import casework, store, workdays
from hub.cases import CaseError, Hub
from hub.errors import HubError
from sync import records as r

RATEABLE = frozenset({"delivered", "closed"})
SATISFIED = ("very_satisfied", "satisfied", "basic")  # counted as satisfied in statistics
NOTE_LIMIT = 2000


def city_of(region: str) -> str:
    """The city a 6-digit division code belongs to (510107 -> 510100)."""
    return region[:4] + "00"


def followup_days(hub: Hub, region: str) -> int:
    return store.ratings.followup_days(hub.db, city_of(region)) or hub.followup_days


def add(
    hub: Hub,
    app: dict[str, Any],
    *,
    rating_id: str,
    outlet: dict[str, Any],
    level: str,
    comment: str,
    staff: str,
    at_ms: int,
) -> int | None:
    """Store a rating; the follow-up id when it is a bad one. Raises CaseError (``code``
    ``rating.too_early`` or ``rating.exists``) when it cannot be taken."""
    if app["status"] not in RATEABLE:
        raise CaseError(
            f"a rating is recorded once the result is delivered (the application is "
            f"{app['status']})",
            code="rating.too_early",
        )
    if store.ratings.rating_for(hub.db, app["id"]) is not None:
        raise CaseError("this application was already rated", code="rating.exists")
    bad = level in r.BAD_RATINGS
    store.applications.add_rating(
        hub.db,
        {
            "id": rating_id,
            "application": app["id"],
            "outlet": outlet["code"],
            "level": level,
            "comment": comment,
            "staff": staff,
            "at": at_ms,
            "bad": int(bad),
        },
    )
    store.applications.add_event(
        hub.db,
        application=app["id"],
        at=hub.now_ms,
        actor=f"{staff}@{outlet['code']}",
        action="rate",
        from_status=app["status"],
        to_status=app["status"],
        note=r.RATING_LABELS[level],
        data={"level": level},
    )
    if not bad:
        return None
    due = workdays.due_date(hub.calendar, hub.today, followup_days(hub, outlet["region"]))
    return store.ratings.add_followup(
        hub.db,
        {
            "rating": rating_id,
            "application": app["id"],
            "outlet": outlet["code"],
            "opened_at": hub.now_ms,
            "due_date": due.date.isoformat(),
            "due_provisional": int(due.provisional),
            "state": "open",
        },
    )


def _note(text: object, field: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CaseError(f"{field}: say what was done (required)", code="invalid", status=400)
    if len(text) > NOTE_LIMIT:
        raise CaseError(f"{field}: at most {NOTE_LIMIT} characters", code="invalid", status=400)
    return text.strip()


def resolve(hub: Hub, followup_id: int, *, note: object, by: str) -> dict[str, Any]:
    """Close a follow-up with what was done about the complaint."""
    text = _note(note, "note")
    followup = _followup(hub, followup_id)
    if followup["state"] != "open":
        raise CaseError(f"this follow-up is already {followup['state']}", code="followup_closed")
    store.ratings.close_followup(
        hub.db, followup_id, state="resolved", note=text, by=by, now=hub.now_ms
    )
    store.applications.add_event(
        hub.db,
        application=followup["application"],
        at=hub.now_ms,
        actor=by,
        action="resolve_followup",
        from_status=None,
        to_status=None,
        note=text,
    )
    return view(hub, _followup(hub, followup_id))


def exclude(hub: Hub, rating_id: str, *, reason: object, by: str) -> dict[str, Any]:
    """Take a mistaken or malicious rating out of the figures, with the reviewer's reason."""
    text = _note(reason, "reason")
    rating = store.ratings.get_rating(hub.db, rating_id)
    if rating is None:
        raise CaseError(f"no rating {rating_id}", code="not_found", status=404)
    if rating["excluded_reason"] is not None:
        raise CaseError("this rating is already excluded", code="rating_excluded")
    store.ratings.exclude_rating(hub.db, rating_id, reason=text, by=by, now=hub.now_ms)
    followup = store.ratings.followup_for_rating(hub.db, rating_id)
    if followup is not None and followup["state"] == "open":
        store.ratings.close_followup(
            hub.db, followup["id"], state="excluded", note=text, by=by, now=hub.now_ms
        )
    store.applications.add_event(
        hub.db,
        application=rating["application"],
        at=hub.now_ms,
        actor=by,
        action="exclude_rating",
        from_status=None,
        to_status=None,
        note=text,
    )
    return store.ratings.get_rating(hub.db, rating_id) or rating


def _followup(hub: Hub, followup_id: int) -> dict[str, Any]:
    followup = store.ratings.get_followup(hub.db, followup_id)
    if followup is None:
        raise CaseError(f"no follow-up {followup_id}", code="not_found", status=404)
    return followup


def view(hub: Hub, followup: dict[str, Any]) -> dict[str, Any]:
    """A follow-up with whether it is overdue today."""
    out = dict(followup)
    out["due_provisional"] = bool(out["due_provisional"])
    out["overdue"] = out["state"] == "open" and hub.today > date.fromisoformat(out["due_date"])
    return out


def followup_for(hub: Hub, followup_id: int, user: dict[str, Any]) -> dict[str, Any]:
    """The follow-up if ``user`` sees its unit's work (casework.in_view); 404 otherwise."""
    followup = store.ratings.get_followup(hub.db, followup_id)
    if followup is None or not casework.in_view(user, followup["unit"]):
        raise HubError(f"no follow-up {followup_id}", code="not_found", status=404)
    return followup
