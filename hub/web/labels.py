"""Words for the codes the hub's pages show (case actions, carrier events, shipment states,
due-date states, roles, statistics columns and groupings): English msgids, translated by the
hub pages' gettext catalogue, or the glossary's words (sync.glossary) for the actions, roles
and time-limit standings. A code with no entry is shown as it is (``webbase.labels``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from sync import glossary
from webbase.labels import RATINGS, Labels

__all__ = ["RATINGS", "Labels"]  # and the tables below

ACTION_LABELS = Labels.of(glossary.ACTIONS)
EVENT_LABELS = Labels(
    posted=_l("Posted"),
    in_transit=_l("In transit"),
    out_for_delivery=_l("Out for delivery"),
    failed_attempt=_l("Delivery attempt failed"),
    delivered=_l("Delivered"),
    returned=_l("Returned to the sender"),
)
SHIPMENT_STATE_LABELS = Labels(
    pending=_l("Waiting for its tracking number"),
    open=_l("On its way"),
    delivered=_l("Delivered"),
    returned=_l("Returned"),
)
SLA_LABELS = Labels.of(glossary.TIME_LIMIT)
ROLE_LABELS = Labels.of(glossary.ROLES)
STATS_COLUMN_LABELS = Labels(
    name=_l("Group name"),
    received=_l("Received"),
    completed=_l("Decided"),
    on_time=_l("On time"),
    on_time_rate=_l("On-time rate"),
    overdue_now=_l("Overdue now"),
    avg_days_to_completion=_l("Average days to decision"),
    mailed=_l("Mailed"),
    delivered=_l("Delivered"),
    returned=_l("Returned"),
    ratings=_l("Ratings"),
    satisfied=_l("Satisfied"),
    bad=_l("Bad ratings"),
    excluded=_l("Excluded"),
    satisfaction_rate=_l("Satisfaction rate"),
)
GROUPING_LABELS = Labels(
    department=_l("department"),
    unit=_l("unit"),
    outlet=_l("outlet"),
    item=_l("item"),
)

# Why the hub refused a form, by the refusal's code (hub.errors.HubError.code), by
# ``code.field`` for a code that says little alone (``invalid``), or by ``form.code`` for the
# form it came from (``followup``, ``revoke``, ``enrol``, or the action taken): what the page
# says instead of the hub's English message (hub.web.views.refusal_text).
REFUSAL_WORDS = Labels(
    action_not_allowed=_l("Your role cannot take this action at this step."),
    illegal_transition=_l(
        "The application is not at a step where this can be done: look at it again."
    ),
    refusal_reason=_l(
        "Choose the reason for the refusal; for another reason, say it in your own words."
    ),
    not_mail=_l("This application has no mail address: its result is handed over at the outlet."),
    unknown_carrier=_l("There is no such carrier: choose one from the list."),
    carrier_disabled=_l("This carrier is disabled: post the result with another one."),
    tracking_in_use=_l("This tracking number is already used by another shipment."),
    not_posted=_l("The result has not been posted yet: enter its tracking number."),
    event_id_reused=_l("This event number was already used for another carrier event."),
    shipment_closed=_l(
        "The shipment was already delivered or returned: this event contradicts it."
    ),
    followup_closed=_l("This follow-up is already closed."),
    unknown_shipment=_l("There is no shipment with this tracking number."),
    **{
        "invalid.unit": _l("Choose the department unit to route it to."),
        "invalid.action": _l("Mail moves by its shipment: use the mail section of this page."),
        "invalid.materials": _l("The materials needed are not valid: tick them in the list."),
        "invalid.message": _l("The message is too long: at most 2000 characters."),
        "invalid.tracking": _l(
            "This is not a valid tracking number: one like EA123456785CN (with its check"
            " digit right), or a domestic number of 13 characters."
        ),
        "invalid.carrier": _l("Choose the carrier from the list."),
        "invalid.at": _l("The time is not valid: give it as shown, and not in the future."),
        "invalid.event": _l("Choose what happened to the shipment."),
        "invalid.location": _l("The place is too long."),
        "invalid.note": _l("The note is not valid: at most 2000 characters."),
        "request_supplement.invalid": _l("Tick the materials needed, or say what is needed."),
        "followup.invalid": _l("Say what was done (required), in at most 2000 characters."),
        "revoke.invalid": _l(
            "The device cannot be revoked: say why (required, at most 500 characters); a"
            " device already revoked cannot be revoked again."
        ),
        "enrol.invalid": _l("There is no such outlet: add it first."),
    },
)
