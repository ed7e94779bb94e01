"""The hub pages' gettext catalogue: Chinese translations of the English msgids of the hub's
pages and of webbase's shared templates, in ``translations/zh/LC_MESSAGES/messages.po`` and its
compiled ``messages.mo`` (both committed). After adding a msgid to a page:

    python -m hub.web.i18n update    # into the .po; translate it there, then
    python -m hub.web.i18n compile   # the .mo

The pybabel steps are webbase.i18n's, the same as the outlet's pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

from webbase.i18n import Catalogue

CATALOGUE = Catalogue(Path(__file__).parent, project="daiban-hub-pages")
read, extract, mo_is_current = CATALOGUE.read, CATALOGUE.extract, CATALOGUE.mo_is_current
PO, MO = CATALOGUE.po, CATALOGUE.mo

if __name__ == "__main__":
    CATALOGUE.main(sys.argv[1:], __doc__)
