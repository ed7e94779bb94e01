"""The pybabel commands of an app's gettext catalogue: English msgids in its pages' code and
templates (and in webbase's, which every app's pages show, and in any further modules named),
Simplified Chinese in ``translations/zh/LC_MESSAGES/messages.po``, compiled to ``messages.mo``
beside it. Both files are committed, so a plain ``pip install`` has working translations; each
app has a test that the .po covers every msgid and that the .mo is the compiled .po.

    catalogue = Catalogue(pages_package_folder, project="daiban-...",
                          translations=folder, also=[module_path, ...])   # both optional
    catalogue.main(sys.argv[1:], usage)   # update: new msgids into the .po; compile: the .mo
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


# What babel's extractors give for one msgid: its line, the msgid (a tuple for plurals), the
# translator comments, the msgctxt.
_Extracted = tuple[int, str | tuple[str, ...], list[str], str | None]


def _translations(catalog: Catalog) -> dict[object, object]:
    return {(m.context, m.id): m.string for m in catalog if m.id and not m.fuzzy}


class Catalogue:
    """The Chinese catalogue of the pages in ``folder``: in ``folder/translations/`` unless
    ``translations`` names another folder (one the app's other modules read as well), with the
    msgids of the Python modules ``also`` names besides the pages' and webbase's."""

    def __init__(
        self,
        folder: Path,
        project: str,
        *,
        translations: Path | None = None,
        also: Sequence[Path] = (),
    ) -> None:
        self.folder = folder
        self.project = project
        self.translations = translations or folder / "translations"
        self.also = tuple(also)
        self.po = self.translations / "zh" / "LC_MESSAGES" / "messages.po"
        self.mo = self.po.with_suffix(".mo")

    def extract(self) -> Catalog:
        """Every msgid: the pages' Python modules and templates, webbase's, and ``also``'s.
        The .po names where each is used relative to the folder holding ``translations``."""
        catalog = Catalog(project=self.project, charset="utf-8")
        found: list[tuple[Path, _Extracted]] = []
        for folder in (self.folder, HERE):
            for filename, lineno, message, comments, context in extract_from_dir(
                folder, METHODS, keywords=KEYWORDS
            ):
                found.append((folder / filename, (lineno, message, comments, context)))
        for module in self.also:
            found.extend(
                (module, extracted)
                for extracted in extract_from_file("python", module, keywords=KEYWORDS)
            )
        for path, (lineno, message, comments, context) in found:
            where = os.path.normpath(os.path.relpath(path, self.translations.parent))
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
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
