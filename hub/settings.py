"""The hub's settings and its data folder.

Every setting has a default here; ``DAIBAN_HUB_<NAME>`` in the environment overrides it (and
a test's ``create_app`` config overrides both). The data folder holds ``hub.db`` (SQLite,
WAL), ``keys/`` (the hub's signing and sealing keys, owner-only) and ``blobs/`` (scans,
content-addressed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SIGNATURE_WINDOW": 300,  # seconds a request signature's created time may be off
    "WARN_DAYS": 2,  # working days before the due date that count as "due soon"
    "MAX_BLOB_BYTES": 50 * 1024 * 1024,
    # Largest request body; Flask refuses above it with the JSON error shape (413 too_large).
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "FEED_PAGE": 500,  # records per pull page when the device does not ask for a limit
    "FOLLOWUP_DAYS": 5,  # working days to follow up a bad rating where no city rule is set
    "SHIPMENT_STALE_DAYS": 3,  # days without carrier news before a shipment is flagged
    # Hours a device (not revoked) may go unheard before the dashboard lists it, and its
    # outlet when none of its devices was heard within them, as stopped syncing.
    "SYNC_SILENT_HOURS": 24,
    "PARTIAL_UPLOAD_DAYS": 14,  # days an unfinished scan upload is kept for its device
    # Signing in to the pages (hub.users): so many wrong passwords within the window start a
    # block, then each further one a block twice as long; forgotten after a quiet spell.
    "SIGNIN_ACCOUNT_TRIES": 5,  # per account (the name typed)
    "SIGNIN_ADDRESS_TRIES": 20,  # per client address (an office behind one NAT shares it)
    "SIGNIN_WINDOW_S": 15 * 60,
    "SIGNIN_DELAY_S": 60,  # the first block
    "SIGNIN_MAX_DELAY_S": 3600,
    "SIGNIN_FORGET_S": 3600,  # without a failure or a block
    # Reverse proxies in front of the hub whose X-Forwarded-For is believed (0: none, so the
    # client address is the connection's).
    "TRUSTED_PROXIES": 0,
}


def data_paths(data: str | Path) -> dict[str, Path]:
    root = Path(data)
    return {
        "root": root,
        "database": root / "hub.db",
        "keys": root / "keys",
        "blobs": root / "blobs",
    }
