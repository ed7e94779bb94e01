"""Protocol version: checked first, before anything else in a message is trusted."""

from __future__ import annotations

from .errors import UnsupportedVersion

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})


def check_version(version: object) -> int:
    """Return ``version`` if this side speaks it, else raise UnsupportedVersion."""
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
        raise UnsupportedVersion(
            f"protocol version {version!r} is not supported (this side speaks {supported})",
            field="v",
        )
    return version
