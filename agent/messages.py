"""Words for staff: Simplified Chinese by default, English with ``--lang en``.

Keys are stable reason codes (the validators' ``field.reason``, the hub's rejection codes,
the agent's own), each with its English msgid. The Chinese is the agent's gettext catalogue,
``agent/translations/zh/LC_MESSAGES/messages.po`` (compiled to ``messages.mo``), the same one
the outlet's pages read; ``N_`` marks the msgids here for its extraction:

    python -m agent.web.i18n update    # new msgids into the .po (translate them, then:)
    python -m agent.web.i18n compile   # the .mo

It is read with the standard library's ``gettext``, so the CLI needs no Flask. In English,
a refusal's reason shows the English text that came with it (it may say more, such as the
operating system's error); the agent's own words show their msgid. A code missing here
falls back to that English text, else to the code itself.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

TRANSLATIONS = Path(__file__).parent / "translations"


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for the marker)
    """Mark ``message`` as a msgid for the catalogue; translates nothing."""
    return message


# The agent's own words: in English, the msgid is what staff read.
SAID: dict[str, str] = {
    "queued": N_("saved, waiting to sync ({id})"),
    "sync.done": N_("synced: {pushed} records sent, {pulled} received, {uploaded} scans uploaded"),
    "sync.offline": N_("hub unreachable ({reason}); everything is kept here and will sync later"),
    "sync.revoked": N_(
        "the hub has revoked this device, so it can no longer sync; unsynced records stay on "
        "this computer. Contact the hub operator (the hub says: {reason})"
    ),
    "sync.refused": N_("the hub refused the request: {reason}"),
    "sync.busy": N_("another sync round is running; try again shortly"),
    "sync.attention": N_(
        "{count} item(s) need attention (refused or supplement asked): see status"
    ),
    "not_enrolled": N_("this device is not enrolled yet: run daiban-agent enroll"),
    "application.unknown": N_("no application {key}"),
    "application.not_known_to_hub": N_(
        "the hub has not confirmed this application yet: sync first"
    ),
    "enroll.offline": N_("cannot reach the hub ({reason}); check the network and the hub address"),
    "enroll.outlet_change": N_(
        "{count} unsynced records belong to outlet {outlet}: sync them first"
    ),
    # the outlet's phone on receipts
    "outlet_phone.set": N_("Receipts now print the outlet's phone {phone}"),
    "outlet_phone.cleared": N_("Receipts no longer print an outlet phone"),
    "outlet_phone.none": N_(
        "No outlet phone is set: receipts print none (set one with daiban-agent outlet-phone "
        "NUMBER)"
    ),
    "outlet_phone.invalid": N_(
        "{phone} is not a phone number for receipts: give a mobile number (11 digits) or a "
        "landline with its area code, such as 028-85551234"
    ),
}

# Reasons that come with an English text of their own (a refusal, a report of the CLI): in
# English that text is shown, the msgid only when none came.
REASONS: dict[str, str] = {
    # validators (field.reason)
    "id_number.length": N_("The ID card number has 18 characters (or 15 on an old card)"),
    "id_number.format": N_(
        "The ID card number is malformed: the first 17 characters are digits, the last a digit or X"
    ),
    "id_number.checksum": N_(
        "The check digit of the ID card number is wrong: a digit may have been mistyped"
    ),
    "id_number.birth_date": N_(
        "The date of birth in the ID card number does not exist or is in the future"
    ),
    "id_number.type": N_("Enter the ID card number"),
    "phone.format": N_("A mobile number has 11 digits and starts with 1"),
    "phone.country": N_("Enter a mobile number of mainland China"),
    "phone.range": N_("No mobile number starts like this one: check it"),
    "phone.type": N_("Enter the mobile number"),
    "tracking_number.checksum": N_("The check digit of the tracking number is wrong: check it"),
    "tracking_number.format": N_("The tracking number is malformed (it reads like EA123456785CN)"),
    "credit_code.checksum": N_("The check character of the unified social credit code is wrong"),
    "credit_code.format": N_("The unified social credit code holds a character it never uses"),
    "credit_code.length": N_("The unified social credit code has 18 characters"),
    # capture
    "item.unknown": N_("The catalogue of service items has no item {item}"),
    "item.outlet_kind": N_("This outlet cannot take applications for “{name}”"),
    "material.unknown": N_("“{name}” needs no material {material}"),
    "material.missing": N_("A required material is missing: {material_name}"),
    "material.missing.promisable": N_(
        "A required material is missing: {material_name} (it may be promised for later instead)"
    ),
    "material.not_promisable": N_(
        "“{material_name}” cannot be promised for later: it must be handed in now"
    ),
    "material.file": N_("Cannot read the material's file: {path}"),
    "material.format": N_(
        "--material is written CODE=FILE, for example ID-CARD=scan.jpg (got: {path})"
    ),
    "delivery.not_mailable": N_(
        "The result of “{name}” cannot be mailed: choose collection at the outlet"
    ),
    "delivery.address": N_("Enter the full mail address"),
    "name.empty": N_("Enter the applicant's name"),
    "region.format": N_("The applicant's county is a 6-digit division code"),
    "region.unknown": N_("No county has this code: choose the applicant's county from the list"),
    "region.type": N_("Choose the applicant's county"),
    "supplement.not_requested": N_("The hub has asked for no supplement to this application"),
    "pickup.proxy_name": N_("Enter the name of the person collecting for the applicant"),
    "proxy_id_number.length": N_(
        "The collecting person's ID card number has 18 characters (or 15 on an old card)"
    ),
    "proxy_id_number.format": N_(
        "The collecting person's ID card number is malformed: the first 17 characters are "
        "digits, the last a digit or X"
    ),
    "proxy_id_number.checksum": N_(
        "The check digit of the collecting person's ID card number is wrong: a digit may "
        "have been mistyped"
    ),
    "proxy_id_number.birth_date": N_(
        "The date of birth in the collecting person's ID card number does not exist or is "
        "in the future"
    ),
    "proxy_id_number.type": N_("Enter the collecting person's ID card number"),
    "pickup.not_ready": N_(
        "The result of this application cannot be collected yet (its status: {status})"
    ),
    "rating.too_early": N_(
        "A rating comes after the result is delivered or collected (its status: {status})"
    ),
    "pickup.pending": N_(
        "The hand-over of this result is already recorded ({at}, {staff}) and waits to sync: "
        "it cannot be recorded twice"
    ),
    "pickup.done": N_("This result has already been handed over"),
    "rating.pending": N_(
        "The citizen's rating is already recorded ({at}, {staff}) and waits to sync: an "
        "application is rated once"
    ),
    "rating.done": N_(
        "The citizen's rating is already recorded ({at}, {staff}): an application is rated once"
    ),
    "attention.unknown": N_("This item no longer needs attention (it may have been dealt with)"),
    "attention.changed": N_(
        "This item has changed since the page was shown: look at it again before marking it"
    ),
    "attention.supplement": N_(
        "A supplement asked for is dealt with by handing in the materials, not marked as done"
    ),
    "rating.level": N_(
        "The rating is one of: very satisfied, satisfied, fairly satisfied, dissatisfied, "
        "very dissatisfied"
    ),
    "enroll.enrol_code_unknown": N_(
        "The hub does not know this enrolment code: check it and enter it again"
    ),
    "enroll.enrol_code_used": N_(
        "This enrolment code has been used: ask the hub operator for a new one"
    ),
    "enroll.enrol_code_expired": N_(
        "This enrolment code has expired: ask the hub operator for a new one"
    ),
    "enroll.key_enrolled": N_("This device's key is already enrolled"),
    # staff
    "staff.added": N_("Added staff member {who} ({name}, {role})"),
    "staff.disabled": N_("Disabled staff member {who}"),
    "staff.code": N_("A staff code holds only letters, digits and . _ - (got: {who})"),
    "staff.name": N_("Enter a name (1 to 100 characters)"),
    "staff.role": N_("The role is clerk (at the counter) or runner (proxy runner)"),
    "staff.pin": N_("A PIN has 4 to 8 digits"),
    "staff.exists": N_("Staff member {who} already exists"),
    "staff.unknown": N_("No staff member {who}"),
    "serve.listen": N_(
        "Cannot serve the pages on {host}:{port} (the port is taken or the address is wrong)"
    ),
}

MESSAGES: dict[str, str] = {**REASONS, **SAID}


@cache
def chinese() -> gettext.GNUTranslations:
    """The agent's Chinese catalogue (read once)."""
    return gettext.translation("messages", TRANSLATIONS, languages=["zh"])


def text(code: str, lang: str, default: str = "", **params: object) -> str:
    """The message for ``code`` in ``lang`` ('zh' or 'en'), with ``params`` filled in."""
    msgid = MESSAGES.get(code)
    if msgid is None or (lang != "zh" and code not in SAID):
        return default or code
    template = chinese().gettext(msgid) if lang == "zh" else msgid
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
