"""Reading the pages' forms into capture's inputs, and capture's refusals back onto fields.

The rules stay in agent/capture.py: this module only adds what a web form has and a command
line does not (a radio button left unticked, a scan chosen but no file picked), and asks the
same validators as capture for the fields capture checks one at a time, so a form comes back
with every invalid field marked at once.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlite_utils import Database
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

from sync import validators
from sync.catalogue import CatalogueItem
from sync.errors import InvalidValue

from .. import capture as cap
from ..home import Home
from ..messages import text

MEDIA_SUFFIX = {"image/png": ".png", "application/pdf": ".pdf"}
KNOWN_SUFFIXES = {".jpg", ".jpeg", ".png", ".pdf"}


def lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def says(exc: cap.CaptureError) -> str:
    """A capture refusal in the staff's language (the words the command line uses)."""
    return text(exc.code, lang(), exc.message, **exc.params)


@dataclass
class Checked:
    """A form read: ``errors`` maps a field name to its reason; empty when all is well."""

    errors: dict[str, str] = field(default_factory=dict)
    scans: dict[str, list[FileStorage]] = field(default_factory=dict)
    paper: list[str] = field(default_factory=list)
    promised: list[str] = field(default_factory=list)

    def refuse(self, name: str, reason: str) -> None:
        self.errors.setdefault(name, reason)


def uploads(files: ImmutableMultiDict[str, FileStorage], name: str) -> list[FileStorage]:
    return [f for f in files.getlist(name) if f and f.filename]


def _validator(checked: Checked, name: str, value: str, check: Any, code_field: str) -> None:
    """Run one of the validators capture runs, with capture's codes and words."""
    try:
        check(value)
    except InvalidValue as exc:
        error = cap.CaptureError(f"{code_field}.{exc.reason}", exc.message, field=code_field)
        checked.refuse(name, says(error))


def material_field(item: CatalogueItem, exc: cap.CaptureError) -> str:
    """Which material row a materials refusal is about (or the whole list)."""
    name = exc.params.get("material_name")
    for spec in item.materials:
        if name == spec.name or exc.params.get("material") == spec.code:
            return f"material-{spec.code}"
    return "materials"


def check_new(
    form: ImmutableMultiDict[str, str],
    files: ImmutableMultiDict[str, FileStorage],
    item: CatalogueItem,
) -> Checked:
    """Everything a form can be told before capture runs; capture checks again."""
    checked = Checked()
    for spec in item.materials:
        choice = form.get(f"m-{spec.code}", "")
        chosen = uploads(files, f"f-{spec.code}")
        if choice == "scan":
            if chosen:
                checked.scans[spec.code] = chosen
            else:
                checked.refuse(
                    f"material-{spec.code}",
                    _("Choose the scan or photo to upload, or tick another option."),
                )
        elif choice == "paper":
            checked.paper.append(spec.code)
        elif choice == "promise":
            checked.promised.append(spec.code)
    if not form.get("name", "").strip():
        checked.refuse("name", says(cap.CaptureError("name.empty", "name required")))
    if form.get("id_type", "resident_id") == "resident_id":
        _validator(
            checked, "id_number", form.get("id_number", ""), validators.resident_id, "id_number"
        )
    _validator(checked, "phone", form.get("phone", ""), validators.mobile, "phone")
    delivery = form.get("delivery")
    if delivery not in ("pickup", "mail"):
        checked.refuse("delivery", _("Choose pickup at the outlet or mail to an address."))
    elif delivery == "mail" and form.get("recipient_phone", "").strip():
        _validator(checked, "recipient_phone", form["recipient_phone"], validators.mobile, "phone")
    # Every material row in trouble is marked at once (the rule returns every problem).
    provided = set(checked.scans) | set(checked.paper)
    for refusal in cap.material_refusals(item, provided, set(checked.promised)):
        checked.refuse(material_field(item, refusal), says(refusal))
    return checked


def field_of(exc: cap.CaptureError, item: CatalogueItem, form: ImmutableMultiDict[str, str]) -> str:
    """The form field a capture refusal marks."""
    if exc.field in ("materials", "promised"):
        return material_field(item, exc)
    if exc.field == "phone":
        try:
            validators.mobile(form.get("phone", ""))
        except InvalidValue:
            return "phone"
        return "recipient_phone"  # the applicant's phone is fine: it was the recipient's
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


def new_application(
    form: ImmutableMultiDict[str, str],
    item: CatalogueItem,
    checked: Checked,
    scans: dict[str, list[Path]],
    staff: str,
) -> cap.NewApplication:
    mail = form.get("delivery") == "mail"
    return cap.NewApplication(
        item=item.code,
        name=form.get("name", ""),
        id_number=form.get("id_number", ""),
        phone=form.get("phone", ""),
        staff=staff,
        id_type=form.get("id_type", "resident_id"),
        mail_to=form.get("mail_to", "") if mail else None,
        recipient=(form.get("recipient") or None) if mail else None,
        recipient_phone=(form.get("recipient_phone") or None) if mail else None,
        postcode=form.get("postcode", "") if mail else "",
        region=form.get("region", "").strip() or None,
        scans=scans,
        paper=checked.paper,
        promised=checked.promised,
        note=form.get("note", "").strip(),
    )


def capture_new(
    db: Database,
    home: Home,
    form: ImmutableMultiDict[str, str],
    files: ImmutableMultiDict[str, FileStorage],
    item: CatalogueItem,
    *,
    staff: str,
    now_ms: int,
) -> tuple[dict[str, str] | None, dict[str, str]]:
    """(the captured id and receipt, or None; the errors by field)."""
    checked = check_new(form, files, item)
    if checked.errors:
        return None, checked.errors
    with saved(home, checked.scans) as scans:
        try:
            made = cap.capture(
                db, home, new_application(form, item, checked, scans, staff), now_ms=now_ms
            )
        except cap.CaptureError as exc:
            return None, {field_of(exc, item, form): says(exc)}
    return made, {}
