"""docs/protocol.md and docs/protocol.schema.json stay true to the code."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from sync import records, replies
from sync.errors import ERROR_CODES
from sync.schema import render

DOCS = Path(__file__).parent.parent.parent / "docs"
PROTOCOL = (DOCS / "protocol.md").read_text(encoding="utf-8")


def test_schema_file_is_current():
    assert (DOCS / "protocol.schema.json").read_text(encoding="utf-8") == render(), (
        "run: .venv/bin/python -m sync.schema > docs/protocol.schema.json"
    )


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_error_code_is_documented_with_its_status(code):
    status = ERROR_CODES[code].status
    assert f"| `{code}` | {status} |" in PROTOCOL


@pytest.mark.parametrize("kind", records.UPLINK_KINDS + records.DOWNLINK_KINDS)
def test_every_record_kind_is_documented(kind):
    assert f"**`{kind}`**" in PROTOCOL


@pytest.mark.parametrize(
    "name",
    records.STATUSES + records.RATING_LEVELS + get_args(replies.RecordStatus),
)
def test_every_enumerated_value_is_documented(name):
    assert f"`{name}`" in PROTOCOL
