"""The agent's gettext catalogue, which its pages and its CLI read: English msgids in the
pages' code and templates (and in webbase's shared templates) and in ``agent/messages.py``
(the CLI's words and the reasons of refusals), Simplified Chinese in
``agent/translations/zh/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it
(webbase.i18n runs the pybabel steps).

    python -m agent.web.i18n update    # add new msgids to the .po (translate them, then:)
    python -m agent.web.i18n compile   # write the .mo
"""

from __future__ import annotations

import sys
from pathlib import Path

from webbase.i18n import Catalogue

from .. import messages

CATALOGUE = Catalogue(
    Path(__file__).parent,
    project="daiban-agent",
    translations=messages.TRANSLATIONS,
    also=[Path(messages.__file__)],
)
PO, MO = CATALOGUE.po, CATALOGUE.mo
extract, read, mo_is_current = CATALOGUE.extract, CATALOGUE.read, CATALOGUE.mo_is_current

if __name__ == "__main__":
    CATALOGUE.main(sys.argv[1:], __doc__)
