"""The pages' forms as WTForms classes, read into capture's inputs, and capture's refusals
back onto their fields.

The rules stay in agent/capture.py: a form only adds what a web form has and a command line
does not (a radio button left unticked, a scan chosen but no file picked), and its fields'
checks ask the same validators as capture (``sync.validators`` through :func:`same_as`), and
a new application's form asks ``capture.problems`` for every problem capture would find (the
county, the materials, the mail address...), so a form comes back with every invalid field
marked at once, never in stages; capture checks again when the record is made.

``form.marks`` is what the templates show: a reason for each place on the page (a field's
name, ``material-CODE`` for a material's row, ``materials`` for the list, ``form`` for the
form), in the order the checks found them. CSRF is checked for every POST by CSRFProtect
(``agent.web.create_app``), so the forms do not check it again.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (  # type: ignore[import-untyped]
    BooleanField,
    HiddenField,
    MultipleFileField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, ValidationError  # type: ignore[import-untyped]

from sync import validators
from sync.catalogue import CatalogueItem
from sync.errors import InvalidValue

from .. import capture as cap
from ..home import Home
from ..messages import text
from . import labels

MEDIA_SUFFIX = {"image/png": ".png", "application/pdf": ".pdf"}
KNOWN_SUFFIXES = {".jpg", ".jpeg", ".png", ".pdf"}


def lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def says(exc: cap.CaptureError) -> str:
    """A capture refusal in the staff's language (the words the command line uses)."""
    return text(exc.code, lang(), exc.message, **exc.params)


def same_as(check: Callable[[str], Any], code_field: str) -> Callable[[Any, Any], None]:
    """A field check running one of the validators capture runs, with capture's codes and
    words (``code_field`` names the field in capture's codes: ``phone.format``)."""

    def validator(form: Any, field: Any) -> None:
        try:
            check(field.data)
        except InvalidValue as exc:
            error = cap.CaptureError(f"{code_field}.{exc.reason}", exc.message, field=code_field)
            raise ValidationError(says(error)) from None

    return validator


def stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class PageForm(FlaskForm):
    """A page's form; ``marks`` holds the first reason for each place, in the order found."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST (agent.web.create_app)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marks: dict[str, str] = {}

    def refuse(self, where: str, reason: str) -> None:
        self.marks.setdefault(where, reason)

    def mark_of(self, field: Any) -> str:
        """Where on the page a field's error is shown (its name, unless said otherwise)."""
        return str(field.name)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        for field in self:
            if field.errors:
                self.refuse(self.mark_of(field), str(field.errors[0]))
        self.check()
        return not self.marks

    def check(self) -> None:
        """What concerns more than one field, after each field's own checks."""

    @property
    def shown(self) -> dict[str, Any]:
        """The values shown again (no files: a browser cannot be sent them back)."""
        return {f.name: f.data for f in self if f.type != "MultipleFileField"}


def uploads(field: Any) -> list[FileStorage]:
    """The files chosen in a file field (a browser sends an empty part for none)."""
    return [f for f in field.data or [] if isinstance(f, FileStorage) and f.filename]


def material_field(item: CatalogueItem, exc: cap.CaptureError) -> str:
    """Which material row a materials refusal is about (or the whole list)."""
    name = exc.params.get("material_name")
    for spec in item.materials:
        if name == spec.name or exc.params.get("material") == spec.code:
            return f"material-{spec.code}"
    return "materials"


# --- a new application --------------------------------------------------------------------


def scan_picked(code: str) -> Callable[[Any, Any], None]:
    """A material whose scan is chosen has its files picked."""

    def check(form: Any, field: Any) -> None:
        if field.data == "scan" and not uploads(getattr(form, f"scans_{code}")):
            raise ValidationError(_("Choose the scan or photo to upload, or tick another option."))

    return check


class NewApplicationForm(PageForm):
    """A new application of ``item`` (:meth:`of`): applicant, a choice and scans per
    material (``m-CODE``, ``f-CODE``), how the result is delivered."""

    item: CatalogueItem

    name = StringField(default="")
    id_type = StringField(default="resident_id")
    id_number = StringField(default="")
    phone = StringField(default="", validators=[same_as(validators.mobile, "phone")])
    region = StringField(default="", filters=[stripped])
    delivery = StringField()
    mail_to = StringField(default="")
    recipient = StringField(default="")
    recipient_phone = StringField(default="")
    postcode = StringField(default="")
    note = TextAreaField(default="", filters=[stripped])

    @classmethod
    def of(cls, item: CatalogueItem) -> NewApplicationForm:
        """The form for ``item``: the applicant's fields and, per material, its choice
        (``m-CODE``: scan, paper, promise or nothing) and its files (``f-CODE``)."""
        fields: dict[str, Any] = {"item": item}
        for spec in item.materials:
            fields[f"choice_{spec.code}"] = StringField(
                name=f"m-{spec.code}", default="", validators=[scan_picked(spec.code)]
            )
            fields[f"scans_{spec.code}"] = MultipleFileField(name=f"f-{spec.code}")
        return type(f"NewApplication_{item.code}", (cls,), fields)()

    def __iter__(self) -> Iterator[Any]:
        """The material rows first: their refusals lead the page's list of errors."""
        rows = [getattr(self, f"choice_{s.code}") for s in self.item.materials]
        return iter([*rows, *(f for f in self._fields.values() if f not in rows)])

    def mark_of(self, field: Any) -> str:
        if field.name.startswith("m-"):
            return f"material-{field.name[2:]}"
        return str(field.name)

    def choice(self, code: str) -> str:
        return str(getattr(self, f"choice_{code}").data or "")

    def scans(self) -> dict[str, list[FileStorage]]:
        """The files of each material whose scan is chosen."""
        codes = self.chosen("scan")
        chosen = {code: uploads(getattr(self, f"scans_{code}")) for code in codes}
        return {code: files for code, files in chosen.items() if files}

    def chosen(self, what: str) -> list[str]:
        return [s.code for s in self.item.materials if self.choice(s.code) == what]

    def validate_name(self, field: Any) -> None:
        if not field.data.strip():
            raise ValidationError(says(cap.CaptureError("name.empty", "name required")))

    def validate_id_number(self, field: Any) -> None:
        if self.id_type.data == "resident_id":
            same_as(validators.resident_id, "id_number")(self, field)

    def validate_delivery(self, field: Any) -> None:
        if field.data not in ("pickup", "mail"):
            raise ValidationError(_("Choose pickup at the outlet or mail to an address."))

    def validate_recipient_phone(self, field: Any) -> None:
        if self.delivery.data == "mail" and field.data.strip():
            same_as(validators.mobile, "phone")(self, field)

    def check(self) -> None:
        """Every problem capture would find, marked at once (capture.problems returns them
        all: the applicant, the county, each material row, the mail address...), so that the
        clerk never fixes one to be shown the next."""
        entered = self.application({code: [] for code in self.scans()}, staff="")
        for refusal in cap.problems(self.item, entered):
            self.refuse(self.field_of(refusal), says(refusal))

    def rechoose(self) -> list[str]:
        """The materials whose files were chosen, in the catalogue's order: a form sent back
        asks for these to be chosen again (a browser cannot be sent files back)."""
        return [s.name for s in self.item.materials if uploads(getattr(self, f"scans_{s.code}"))]

    def application(self, scans: dict[str, list[Path]], staff: str) -> cap.NewApplication:
        mail = self.delivery.data == "mail"
        return cap.NewApplication(
            item=self.item.code,
            name=self.name.data,
            id_number=self.id_number.data,
            phone=self.phone.data,
            staff=staff,
            id_type=self.id_type.data,
            mail_to=self.mail_to.data if mail else None,
            recipient=(self.recipient.data or None) if mail else None,
            recipient_phone=(self.recipient_phone.data or None) if mail else None,
            postcode=self.postcode.data if mail else "",
            region=self.region.data or None,
            scans=scans,
            paper=self.chosen("paper"),
            promised=self.chosen("promise"),
            note=self.note.data,
        )

    def field_of(self, exc: cap.CaptureError) -> str:
        """The place a capture refusal marks."""
        if exc.field in ("materials", "promised"):
            return material_field(self.item, exc)
        return exc.field or "form"


@contextlib.contextmanager
def saved(home: Home, scans: dict[str, list[FileStorage]]) -> Iterator[dict[str, list[Path]]]:
    """Uploaded files written to a private folder in the home for capture to seal; the clear
    copies are deleted when the block ends, whatever happened."""
    home.ensure()
    with tempfile.TemporaryDirectory(prefix="upload-", dir=home.root) as folder:
        paths: dict[str, list[Path]] = {}
        for code, files in scans.items():
            for n, upload in enumerate(files):
                suffix = Path(upload.filename or "").suffix.lower()
                if suffix not in KNOWN_SUFFIXES:
                    suffix = MEDIA_SUFFIX.get(upload.mimetype, ".jpg")
                path = Path(folder) / f"{len(paths)}-{n}{suffix}"
                upload.save(path)
                paths.setdefault(code, []).append(path)
        yield paths


def capture_new(
    db: Any, home: Home, form: NewApplicationForm, *, staff: str, now_ms: int
) -> dict[str, str] | None:
    """The captured id and receipt, or None with the refusal marked on the form (which has
    been validated)."""
    with saved(home, form.scans()) as scans:
        try:
            return cap.capture(db, home, form.application(scans, staff), now_ms=now_ms)
        except cap.CaptureError as exc:
            form.refuse(form.field_of(exc), says(exc))
            return None


# --- an application's forms -------------------------------------------------------------


class SupplementForm(PageForm):
    """The materials handed in for a supplement request: for each requested code posted
    (``material``), its scans (``f-CODE``) or "seen on paper" (``paper-CODE``)."""

    codes: list[str]  # the requested materials posted (set by posted())
    material = SelectMultipleField(choices=[], validate_choice=False)
    note = TextAreaField(default="", filters=[stripped])

    @classmethod
    def posted(cls) -> SupplementForm:
        """The form for the material codes posted with it."""
        codes = list(dict.fromkeys(cls().material.data or []))
        fields: dict[str, Any] = {}
        for code in codes:
            fields[f"paper_{code}"] = BooleanField(name=f"paper-{code}", false_values=("",))
            fields[f"scans_{code}"] = MultipleFileField(name=f"f-{code}")
        form: SupplementForm = type("Supplement", (cls,), fields)()
        form.codes = codes
        return form

    def scans(self) -> dict[str, list[FileStorage]]:
        chosen = {code: uploads(getattr(self, f"scans_{code}")) for code in self.codes}
        return {code: files for code, files in chosen.items() if files}

    def paper(self) -> list[str]:
        scans = self.scans()
        return [c for c in self.codes if c not in scans and getattr(self, f"paper_{c}").data]

    def check(self) -> None:
        if not self.scans() and not self.paper():
            self.refuse("materials", _("Upload a scan or tick 'seen on paper' for a material."))


class PickupForm(PageForm):
    """The hand-over of a result: who collects it, their ID checked, a proxy's details."""

    collector = StringField(
        validators=[AnyOf(labels.COLLECTORS, message=_l("Choose who collects the result."))]
    )
    id_checked = BooleanField(false_values=("",))
    proxy_name = StringField(default="")
    proxy_id_number = StringField(default="")

    def validate_id_checked(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_("Check the collector's ID card first, then tick the box."))

    def check(self) -> None:
        proxy = self.proxy_name.data, self.proxy_id_number.data
        for problem in cap.collector_problems(str(self.collector.data), *proxy):
            self.marks[problem.field or "form"] = says(problem)


class RateForm(PageForm):
    level = StringField(default="")
    comment = TextAreaField(default="", filters=[stripped])

    def validate_level(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_("Choose the citizen's rating."))


def _row_number(value: str) -> int | None:
    """A row id or version as a form sends it: ASCII digits that fit SQLite's integers
    ("²".isdigit() is true, and int() refuses it), else None."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


class DealtWithForm(PageForm):
    """An attention item marked as dealt with: an attention row (``attention``, its id), or
    an application's state (``application`` and ``kind``); ``next`` the page to go back to."""

    attention = StringField(default="", filters=[stripped])
    application = StringField(default="", filters=[stripped])
    kind = StringField(default="", filters=[stripped])
    seen = HiddenField(default="")  # the application's hub version the page showed
    next = HiddenField()

    def attention_id(self) -> int | None:
        return _row_number(self.attention.data or "")

    def seen_version(self) -> int | None:
        return _row_number(self.seen.data or "")

    def check(self) -> None:
        if self.attention_id() is None and not (self.application.data and self.kind.data):
            self.refuse("form", _("Choose the item to mark as dealt with."))


class SyncForm(PageForm):
    next = HiddenField()
