"""JSON Schema of every protocol message, for implementations in other languages.

python -m sync.schema > docs/protocol.schema.json
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import msgspec

from .batch import Batch
from .records import DownlinkRecord, UplinkRecord
from .replies import Ack, FeedPage
from .version import PROTOCOL_VERSION


def _cleaned(node: Any) -> Any:
    """Descriptions dedented here, since msgspec releases differ in whether they keep docstring
    indentation: the committed schema must not change with the msgspec the lock admits."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _cleaned(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_cleaned(item) for item in node]
    return node


def protocol_schema() -> dict[str, object]:
    """One JSON Schema document with a definition per message and record type."""
    (batch, ack, page, uplink, downlink), components = msgspec.json.schema_components(
        [Batch, Ack, FeedPage, UplinkRecord, DownlinkRecord],
        ref_template="#/$defs/{name}",
    )
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Daiban sync protocol, version {PROTOCOL_VERSION}",
        "description": "Payloads of frames (docs/protocol.md). Times are Unix milliseconds.",
        "$defs": {
            **components,
            "UplinkRecord": uplink,
            "DownlinkRecord": downlink,
        },
        "oneOf": [batch, ack, page],
    }
    cleaned: dict[str, object] = _cleaned(schema)
    return cleaned


def render() -> str:
    """The schema as committed: sorted keys, two-space indent, non-ASCII kept."""
    return json.dumps(protocol_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
