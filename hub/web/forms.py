"""The hub pages' forms, as WTForms classes: what each form's fields are, how they are read
(trimmed), and the page's words for a field left empty or too long.

The rules stay with the hub: a form's checks call the function its API endpoint calls
(``hub.casework.reveal_reason``, ``hub.carriers.normalise_tracking``, the outlets in the store)
and only put that refusal on the field, in the reader's language. What depends on the
application's state now (may it be posted? is the follow-up still open?) is asked by the view,
inside its write transaction, and marked with :meth:`PageForm.refuse`.

CSRF is checked once for every page's POST (``hub.web.views.load_user``), so the forms do not
check it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[import-untyped]
    BooleanField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (  # type: ignore[import-untyped]
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    ValidationError,
)

from hub import casework, context, devices, store
from hub.carriers import EVENT_KINDS, CarrierError, normalise_tracking
from hub.casework import NOTE_MAX
from hub.errors import HubError
from sync.clock import CHINA
from sync.refusals import OTHER_NOTE_MIN, REFUSAL_ACTIONS, REFUSAL_NOTE_MAX, refusal_problems

TTL_HOURS = (1, 168)  # an enrolment code lives from an hour to a week
TEXT_MAX = 200  # a carrier event's location and note (hub.carriers)


def trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else ("" if value is None else value)


def offered(words: Any) -> Callable[[Any, Any], None]:
    """A field's value is one the page offers now (the form's ``allowed``)."""

    def check(form: Any, field: Any) -> None:
        if field.data not in form.allowed:
            raise ValidationError(str(words))

    return check


def required(words: Any) -> Any:
    """A field left empty (or blank): ``words`` say what to enter."""
    return DataRequired(message=words)


def at_most(limit: int, words: Any) -> Any:
    """A field's value is at most ``limit`` characters (``words`` say so otherwise)."""
    return Length(max=limit, message=words)


class PageForm(FlaskForm):
    """A page's form: its errors by field name (the first of each field), as the templates
    mark them, and its values as they are shown again; ``allowed`` is what the page offers
    now for a field checked with :func:`offered` (the actions open at this step...)."""

    class Meta:
        csrf = False  # checked for every page's POST by CSRFProtect (hub.web.security)

    def __init__(self, *args: Any, allowed: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def refuse(self, name: str, reason: str) -> None:
        """Mark a field with a refusal found after the form's own checks."""
        field = self[name]
        field.errors = [*field.errors, reason]

    @property
    def marks(self) -> dict[str, str]:
        return {f.name: str(f.errors[0]) for f in self if f.errors}

    @property
    def shown(self) -> dict[str, Any]:
        return {f.name: f.data for f in self if f.type != "PasswordField"}


class BackForm(PageForm):
    """An operator's form that may be sent from the dashboard (``back=dashboard``)."""

    back = HiddenField(default="")


def note_field(missing: Any) -> Any:
    """A required note of at most NOTE_MAX characters; ``missing`` says what to write."""
    too_long = _l("A note is at most %(n)s characters.", n=NOTE_MAX)
    return TextAreaField(
        default="", filters=[trimmed], validators=[required(missing), at_most(NOTE_MAX, too_long)]
    )


# --- sign-in, case actions, reveal (hub.web.views) ------------------------------------------


class SignInForm(PageForm):
    name = StringField(default="", validators=[required(_l("Enter your user name."))])
    password = PasswordField(
        default="", validators=[InputRequired(message=_l("Enter your password."))]
    )


def refusal_words(code: str) -> str:
    """The page's words for a refusal problem (``sync.refusals.refusal_problems``)."""
    if code == "refusal.reason_missing":
        return _("Choose why the application is refused; the outlet tells the citizen.")
    if code == "refusal.note_needed":
        return _(
            "For another reason, say it in at least %(n)s characters; the outlet reads it to"
            " the citizen.",
            n=OTHER_NOTE_MIN,
        )
    if code == "refusal.note_too_long":
        return _("With a refusal's reason, a note is at most %(n)s characters.", n=REFUSAL_NOTE_MAX)
    return _("Choose one of the reasons offered.")


class ActForm(PageForm):
    """A case action (``hub.casework.carry_out``) with its note and the action's own fields;
    ``allowed`` are the actions the page offers this user at this step. A refusal (不予受理,
    不予办理) needs a reason (the rule of ``sync.refusals``, the API's too) and the officer's
    ticked confirmation (``confirm``), so that no refusal is made by a slip."""

    version = HiddenField()  # absent: no version check
    action = StringField(
        default="", validators=[offered(_l("This action is not open to you at this step."))]
    )
    note = TextAreaField(
        default="",
        filters=[trimmed],
        validators=[at_most(NOTE_MAX, _l("A note is at most %(n)s characters.", n=NOTE_MAX))],
    )
    materials = SelectMultipleField(choices=[], validate_choice=False)
    unit = StringField(default="")
    carrier = StringField(default="", filters=[trimmed])
    tracking = StringField(default="", filters=[trimmed])
    reason = StringField(default="", filters=[trimmed])
    confirm = BooleanField(default=False)

    def refusal_problem(self, name: str) -> str | None:
        """The first problem of a refusal with field ``name`` (``reason`` or ``note``)."""
        if self.action.data not in REFUSAL_ACTIONS:
            return None
        for problem in refusal_problems(self.action.data, self.reason.data, self.note.data):
            if problem.field == name:
                return refusal_words(problem.code)
        return None

    def validate_note(self, field: Any) -> None:
        if self.action.data == "request_supplement" and not self.materials.data and not field.data:
            raise ValidationError(_("Tick the materials needed or say what is needed."))
        problem = self.refusal_problem("note")
        if problem:
            raise ValidationError(problem)

    def validate_reason(self, field: Any) -> None:
        problem = self.refusal_problem("reason")
        if problem:
            raise ValidationError(problem)

    def validate_confirm(self, field: Any) -> None:
        if self.action.data in REFUSAL_ACTIONS and not field.data:
            raise ValidationError(_("Tick the box to confirm that you checked the refusal."))

    def validate_unit(self, field: Any) -> None:
        if self.action.data == "route" and field.data not in context.hub().catalogue.units():
            raise ValidationError(_("Choose the department unit."))

    def body(self) -> dict[str, Any]:
        """What the action takes besides its note (the API's request body)."""
        action, note = self.action.data, self.note.data
        if action == "request_supplement":
            return {"materials": self.materials.data or [], "message": note}
        if action == "route":
            return {"unit": self.unit.data}
        if action == "issue_result" and self.tracking.data:
            return {"carrier": self.carrier.data or None, "tracking": self.tracking.data}
        if action in REFUSAL_ACTIONS:
            return {"reason": self.reason.data}
        return {}


class RevealForm(PageForm):
    reason = StringField(default="", filters=[trimmed])

    def validate_reason(self, field: Any) -> None:
        try:
            casework.reveal_reason(field.data)  # the API's rule; the words are the page's
        except HubError:
            raise ValidationError(
                _("A reason is at most %(n)s characters.", n=casework.REVEAL_REASON_MAX)
                if field.data
                else _("Say why you need the personal data; the reason is recorded.")
            ) from None


class ScanForm(PageForm):
    """Opening a scan of the case's materials (``hub.casework.scan_for``): a reason, as for
    the personal data (a scanned ID card is personal data), recorded in the audit log."""

    reason = StringField(default="", filters=[trimmed])

    def validate_reason(self, field: Any) -> None:
        try:
            casework.reveal_reason(field.data)  # the API's rule; the words are the page's
        except HubError:
            raise ValidationError(
                _("A reason is at most %(n)s characters.", n=casework.REVEAL_REASON_MAX)
                if field.data
                else _("Say why you open the scan; the reason is recorded.")
            ) from None


# --- devices (hub.web.operations) -----------------------------------------------------------


def check_hub_url(raw: str) -> str | None:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Give the address as http://… or https://… with the hub's host name.")
    if parts.query or parts.fragment or any(c.isspace() for c in raw) or len(raw) > 200:
        return _("Give only the hub's address, without spaces, ? or #.")
    return None


class EnrolForm(PageForm):
    outlet = StringField(
        default="",
        filters=[trimmed],
        validators=[required(_l("Choose the outlet the device belongs to."))],
    )
    ttl_hours = StringField(default="", filters=[trimmed])
    hub_url = StringField(default="", filters=[trimmed, lambda url: url.rstrip("/")])

    def validate_outlet(self, field: Any) -> None:
        if store.devices.get_outlet(context.get_db(), field.data) is None:
            raise ValidationError(_("There is no such outlet."))

    def validate_ttl_hours(self, field: Any) -> None:
        low, high = TTL_HOURS
        if not field.data.isdigit() or not low <= int(field.data) <= high:
            raise ValidationError(
                _("A whole number of hours from %(low)s to %(high)s.", low=low, high=high)
            )

    def validate_hub_url(self, field: Any) -> None:
        problem = check_hub_url(field.data)
        if problem:
            raise ValidationError(problem)


class RevokeForm(PageForm):
    reason = TextAreaField(
        default="",
        filters=[trimmed],
        validators=[
            required(_l("Say why the device is revoked; the reason is recorded.")),
            at_most(
                devices.REASON_MAX,
                _l("A reason is at most %(n)s characters.", n=devices.REASON_MAX),
            ),
        ],
    )


# --- delivery (hub.web.operations) ----------------------------------------------------------


class ShipmentForm(BackForm):
    """Posting a result: a registered carrier and a tracking number it accepts."""

    carrier = StringField(
        default="",
        filters=[trimmed],
        validators=[
            required(_l("Choose the carrier.")),
            offered(_l("This carrier is not registered at the hub.")),
        ],
    )
    tracking = StringField(
        default="",
        filters=[trimmed],
        validators=[required(_l("Enter the tracking number on the parcel's label."))],
    )

    def validate_tracking(self, field: Any) -> None:
        try:
            normalise_tracking(field.data)
        except CarrierError:
            raise ValidationError(
                _(
                    "This is not a tracking number: check the letters and digits (the last digit"
                    " before CN is a check digit)."
                )
            ) from None


class ToOutletForm(BackForm):
    note = note_field(_l("Say why, for the outlet and the citizen (e.g. address unclear)."))


class ResolveForm(BackForm):
    note = note_field(_l("Say what was done about the complaint; it goes to the timeline."))


def local_time(raw: str) -> str | None:
    """``2026-11-23T09:30`` (a datetime-local field, China's time) as ISO 8601 with +08:00."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.isoformat()


class EventForm(BackForm):
    """A carrier event typed from the carrier's tracking page."""

    event = StringField(
        default="",
        filters=[trimmed],
        validators=[AnyOf(EVENT_KINDS, message=_l("Choose what happened to the parcel."))],
    )
    at = StringField(
        default="",
        filters=[trimmed],
        validators=[required(_l("Enter when it happened, as the carrier's page shows it."))],
    )
    location = StringField(
        default="",
        filters=[trimmed],
        validators=[at_most(TEXT_MAX, _l("At most %(n)s characters.", n=TEXT_MAX))],
    )
    note = StringField(
        default="",
        filters=[trimmed],
        validators=[at_most(TEXT_MAX, _l("At most %(n)s characters.", n=TEXT_MAX))],
    )

    def validate_at(self, field: Any) -> None:
        at = local_time(field.data)
        if at is None:
            raise ValidationError(_("Give a date and time, like 2026-11-23 09:30."))
        if datetime.fromisoformat(at).timestamp() * 1000 > context.now_ms() + 10 * 60 * 1000:
            raise ValidationError(_("This time is in the future."))

    def body(self, tracking: str) -> dict[str, Any]:
        """The event as ``hub.carriers.manual_event_from`` reads it."""
        fields = (self.event, self.location, self.note)
        return {
            **{f.name: f.data for f in fields},
            "at": local_time(self.at.data),
            "tracking": tracking,
        }
