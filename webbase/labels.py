"""Words both apps' pages show for the same codes: English msgids, translated by each app's
gettext catalogue (webbase.i18n extracts them into both); and :class:`Labels`, the table of
words for codes each app's pages build their own label tables with."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class Labels(dict[str, Any]):
    """Words for codes, ``Labels(posted=_l("Posted"), ...)``; called with a code, its words,
    or the code itself when the table has none (a template shows ``event_label(kind)``)."""

    def __call__(self, code: str) -> Any:
        return self.get(code, code)


# A citizen's rating of a finished application (sync.records.RatingLevel), best first.
RATINGS = Labels(
    very_satisfied=_l("Very satisfied"),
    satisfied=_l("Satisfied"),
    basic=_l("Basically satisfied"),
    dissatisfied=_l("Dissatisfied"),
    very_dissatisfied=_l("Very dissatisfied"),
)
