"""The pybabel commands of a page package's gettext catalogue: English msgids in its code and
templates (and in webbase's, which every app's pages show), Simplified Chinese in
``translations/zh/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it. Both files
are committed, so a plain ``pip install`` has working translations; each app has a test that
the .po covers every msgid and that the .mo is the compiled .po.

    catalogue = Catalogue(package_folder, project="daiban-...-pages")
    catalogue.main(sys.argv[1:], usage)   # update: new msgids into the .po; compile: the .mo
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def _translations(catalog: Catalog) -> dict[object, object]:
    return {(m.context, m.id): m.string for m in catalog if m.id and not m.fuzzy}


class Catalogue:
    """The Chinese catalogue of the pages in ``folder`` (a package with ``translations/``)."""

    def __init__(self, folder: Path, project: str) -> None:
        self.folder = folder
        self.project = project
        self.po = folder / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
        self.mo = self.po.with_suffix(".mo")

    def extract(self) -> Catalog:
        """Every msgid the pages use: their Python modules and templates, and webbase's."""
        catalog = Catalog(project=self.project, charset="utf-8")
        for folder in (self.folder, HERE):
            prefix = os.path.relpath(folder, self.folder)
            for filename, lineno, message, comments, context in extract_from_dir(
                folder, METHODS, keywords=KEYWORDS
            ):
                where = os.path.normpath(os.path.join(prefix, filename))
                catalog.add(
                    message, None, [(where, lineno)], auto_comments=comments, context=context
                )
        return catalog

    def read(self) -> Catalog:
        with open(self.po, "rb") as source:
            return read_po(source, locale="zh")

    def compiled(self) -> bytes:
        """The .mo bytes the current .po compiles to."""
        out = io.BytesIO()
        write_mo(out, self.read(), use_fuzzy=False)
        return out.getvalue()

    def mo_is_current(self) -> bool:
        """Whether the committed .mo holds exactly the .po's translations.

        Compared message by message, not byte by byte: the .mo's header names the Babel version
        that wrote it, and a new Babel release must not turn a fresh clone's tests red.
        """
        with open(self.mo, "rb") as source:
            return _translations(read_mo(source)) == _translations(self.read())

    def update(self) -> list[str]:
        """Merge new msgids into the .po; the ids still waiting for a translation."""
        catalog = self.read()
        catalog.update(self.extract(), no_fuzzy_matching=True)
        with open(self.po, "wb") as out:
            write_po(out, catalog, width=100, omit_header=False, ignore_obsolete=True)
        return [str(m.id) for m in catalog if m.id and not m.string]

    def compile_mo(self) -> None:
        self.mo.write_bytes(self.compiled())

    def main(self, argv: Sequence[str], usage: str | None) -> None:
        """``update`` or ``compile``, as ``python -m agent.web.i18n`` / ``hub.web.i18n`` run."""
        command = argv[0] if argv else ""
        if command == "update":
            missing = self.update()
            print(f"{self.po}: {len(missing)} msgid(s) to translate", *missing, sep="\n")
        elif command == "compile":
            self.compile_mo()
            print(f"wrote {self.mo}")
        else:
            sys.exit(usage)
