"""Words both apps' pages show for the same codes: English msgids, translated by each app's
gettext catalogue (webbase.i18n extracts them into both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A citizen's rating of a finished application (sync.records.RatingLevel), best first.
RATINGS = {
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "basic": _l("Basically satisfied"),
    "dissatisfied": _l("Dissatisfied"),
    "very_dissatisfied": _l("Very dissatisfied"),
}
