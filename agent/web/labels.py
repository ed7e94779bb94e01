"""Words for codes shown on the pages (states, events, roles): English msgids, translated by
the gettext catalogue, or the glossary's words (sync.glossary) for the states. A code with no
entry is shown as it is."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from sync import glossary
from webbase.labels import RATINGS as RATINGS  # the pages' labels.RATINGS
from webbase.labels import Labels

# Where a record stands and where its application stands at the hub: the glossary's words
# (sync.glossary), the same as the hub's pages and the phone's.
SYNC_STATES = Labels.of(glossary.SYNC_STATES)
HUB_STATUSES = Labels.of(glossary.STATES)

ATTENTION = {
    "rejected": _l("Refused by the hub"),
    "conflict": _l("Conflict at the hub"),
    "supplement": _l("Supplement requested"),
    "returned": _l("Mail returned"),
    "dept_rejected": _l("Rejected by the department"),
}

MAIL_EVENTS = {
    "posted": _l("posted"),
    "in_transit": _l("in transit"),
    "out_for_delivery": _l("out for delivery"),
    "delivered": _l("delivered"),
    "failed_attempt": _l("delivery attempt failed"),
    "returned": _l("returned"),
}

EVENTS = {
    "captured": _l("Recorded at this outlet"),
    "accepted by hub": _l("Received by the hub"),
    "rejected by hub": _l("Refused by the hub"),
    "conflict by hub": _l("Conflict at the hub"),
    "supplement requested": _l("Supplement requested"),
    "amended (supplement)": _l("Supplement handed in"),
    "amended (correction)": _l("Correction sent"),
    "picked up": _l("Result collected"),
    "rated": _l("Rating recorded"),
}

ID_TYPES = {
    "resident_id": _l("Resident ID card"),
    "passport": _l("Passport"),
    "hk_macau_permit": _l("Hong Kong / Macao travel permit"),
    "taiwan_permit": _l("Taiwan travel permit"),
    "foreign_permanent_id": _l("Foreigner's permanent residence ID"),
}

ROLES = {"clerk": _l("Clerk"), "runner": _l("Runner")}

COLLECTORS = {"applicant": _l("The applicant in person"), "proxy": _l("Someone on their behalf")}


def event(name: str) -> str:
    """A timeline event in words."""
    if name in EVENTS:
        return str(EVENTS[name])
    if name in HUB_STATUSES:
        return str(HUB_STATUSES[name])
    if name.startswith("mail ") and name[5:] in MAIL_EVENTS:
        return _("Mail: %(event)s", event=MAIL_EVENTS[name[5:]])
    if name.startswith("dealt with (") and name.endswith(")"):  # capture.deal_with
        kind = name[len("dealt with (") : -1]
        return _("Dealt with: %(what)s", what=ATTENTION.get(kind, kind))
    return name
