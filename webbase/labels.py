"""Words both apps' pages show for the same codes: English msgids, translated by each app's
gettext catalogue (webbase.i18n extracts them into both); :class:`Labels`, the table of
words for codes each app's pages build their own label tables with; and :class:`Said`, a
glossary term (sync.glossary) read in the reader's language, for the tables the glossary
holds, so the outlet, the hub and the phone cannot word one thing two ways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from sync.glossary import Term
from webbase.sessions import select_locale


class Said:
    """A glossary term, worded when shown: in the reader's language (lazily, like _l)."""

    __slots__ = ("term",)

    def __init__(self, term: Term) -> None:
        self.term = term

    def __str__(self) -> str:
        return self.term.in_(select_locale())

    def __repr__(self) -> str:
        return f"Said({self.term.en!r})"


class Labels(dict[str, Any]):
    """Words for codes, ``Labels(posted=_l("Posted"), ...)``; called with a code, its words,
    or the code itself when the table has none (a template shows ``event_label(kind)``)."""

    def __call__(self, code: str) -> Any:
        return self.get(code, code)

    @classmethod
    def of(cls, table: Mapping[str, Term]) -> Labels:
        """The glossary's words for a table of codes (sync.glossary.ROLES, ...)."""
        return cls({code: Said(term) for code, term in table.items()})


# A citizen's rating of a finished application (sync.records.RatingLevel), best first.
RATINGS = Labels(
    very_satisfied=_l("Very satisfied"),
    satisfied=_l("Satisfied"),
    basic=_l("Basically satisfied"),
    dissatisfied=_l("Dissatisfied"),
    very_dissatisfied=_l("Very dissatisfied"),
)
