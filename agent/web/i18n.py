"""The outlet pages' gettext catalogue: English msgids in the code and templates (and in
webbase's shared templates), Simplified Chinese in ``translations/zh/LC_MESSAGES/messages.po``,
compiled to ``messages.mo`` beside it (webbase.i18n runs the pybabel steps).

    python -m agent.web.i18n update    # add new msgids to the .po (translate them, then:)
    python -m agent.web.i18n compile   # write the .mo
"""

from __future__ import annotations

import sys
from pathlib import Path

from webbase.i18n import Catalogue

CATALOGUE = Catalogue(Path(__file__).parent, project="daiban-agent-pages")
PO, MO = CATALOGUE.po, CATALOGUE.mo
extract, read, mo_is_current = CATALOGUE.extract, CATALOGUE.read, CATALOGUE.mo_is_current

if __name__ == "__main__":
    CATALOGUE.main(sys.argv[1:], __doc__)
