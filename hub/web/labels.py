"""Words for the codes the hub's pages show (case actions, carrier events, shipment states,
due-date states, roles, statistics columns and groupings): English msgids, translated by the
hub pages' gettext catalogue. A code with no entry is shown as it is (``webbase.labels``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webbase.labels import RATINGS, Labels

__all__ = ["RATINGS", "Labels"]  # and the tables below

ACTION_LABELS = Labels(
    capture=_l("Recorded at the outlet"),
    received=_l("Received"),
    route=_l("Route to a unit"),
    triage=_l("Send to triage"),
    return_to_triage=_l("Not ours: back to triage"),
    accept=_l("Accept"),
    refuse=_l("Refuse to accept"),
    request_supplement=_l("Request a supplement"),
    supplement=_l("Supplemented"),
    approve=_l("Approve"),
    reject=_l("Reject"),
    issue_result=_l("Issue the result"),
    ship=_l("Posted"),
    to_outlet=_l("Sent to the outlet"),
    deliver=_l("Delivered"),
    return_mail=_l("Mail returned"),
    hand_over=_l("Handed over"),
    close=_l("Close"),
    rate=_l("Rated"),
    resolve_followup=_l("Follow-up resolved"),
    exclude_rating=_l("Rating excluded"),
)
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
SLA_LABELS = Labels(
    on_track=_l("on track"),
    due_soon=_l("due soon"),
    overdue=_l("overdue"),
    paused=_l("paused (waiting for the citizen)"),
    met=_l("decided on time"),
    late=_l("decided late"),
)
ROLE_LABELS = Labels(admin=_l("administrator"), operator=_l("operator"), officer=_l("officer"))
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
