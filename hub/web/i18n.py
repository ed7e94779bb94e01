"""The pages' gettext catalogue: English msgids in the code and templates, Simplified Chinese
in ``translations/zh/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it. Both
files are committed, so a plain ``pip install`` has working translations; a test checks that
the .po covers every msgid and that the .mo is the compiled .po.

    python -m hub.web.i18n update    # add new msgids to the .po (translate them, then:)
    python -m hub.web.i18n compile   # write the .mo
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
PO = HERE / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def extract() -> Catalog:
    """Every msgid used by the pages, from the Python modules and the templates."""
    catalog = Catalog(project="daiban-hub-pages", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        HERE, METHODS, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read() -> Catalog:
    with open(PO, "rb") as source:
        return read_po(source, locale="zh")


def compiled() -> bytes:
    """The .mo bytes the current .po compiles to."""
    out = io.BytesIO()
    write_mo(out, read(), use_fuzzy=False)
    return out.getvalue()


def _translations(catalog: Catalog) -> dict[object, object]:
    return {(m.context, m.id): m.string for m in catalog if m.id and not m.fuzzy}


def mo_is_current() -> bool:
    """Whether the committed .mo holds exactly the .po's translations.

    Compared message by message, not byte by byte: the .mo's header names the Babel version
    that wrote it, and a new Babel release must not turn a fresh clone's tests red.
    """
    with open(MO, "rb") as source:
        return _translations(read_mo(source)) == _translations(read())


def update() -> list[str]:
    """Merge new msgids into the .po; the ids still waiting for a translation."""
    catalog = read()
    catalog.update(extract(), no_fuzzy_matching=True)
    with open(PO, "wb") as out:
        write_po(out, catalog, width=100, omit_header=False, ignore_obsolete=True)
    return [str(m.id) for m in catalog if m.id and not m.string]


def compile_mo() -> None:
    MO.write_bytes(compiled())


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        missing = update()
        print(f"{PO}: {len(missing)} msgid(s) to translate", *missing, sep="\n")
    elif command == "compile":
        compile_mo()
        print(f"wrote {MO}")
    else:
        sys.exit(__doc__)
