"""Staff who sign in to the agent's pages: clerks and runners, each with a PIN.

A PIN is kept only as a salted scrypt hash (``hashlib.scrypt``). Five wrong PINs in a row
lock the staff member for a few minutes; the counter lives in the database, so it holds
across the server's threads and restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

ROLES: tuple[str, ...] = ("clerk", "runner")
MAX_FAILURES = 5
LOCK_MS = 5 * 60 * 1000
# The protocol's Code type: capture records the staff code as is.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
# scrypt cost: about 50 ms on a laptop, 16 MiB of memory.
_N, _R, _P = 2**14, 8, 1


class StaffError(ValueError):
    """A staff change refused; ``code`` names the reason (for messages)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for a PIN."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def pin_matches(pin: str, stored: str) -> bool:
    """Constant-time check of a PIN against a stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            pin.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    ok: bool
    reason: str = ""  # unknown, disabled, locked, wrong_pin
    staff: dict[str, Any] | None = None
    locked_until: int | None = None
    tries_left: int = 0


def add(db: Database, *, code: str, name: str, role: str, pin: str, now: int) -> None:
    if not CODE_PATTERN.match(code):
        raise StaffError("staff.code", f"staff code {code!r}: letters, digits, '.', '_', '-'")
    if not name.strip() or len(name) > 100:
        raise StaffError("staff.name", "a name of 1 to 100 characters is required")
    if role not in ROLES:
        raise StaffError("staff.role", f"role must be one of {', '.join(ROLES)}")
    if not PIN_PATTERN.match(pin):
        raise StaffError("staff.pin", "a PIN is 4 to 8 digits")
    if get(db, code) is not None:
        raise StaffError("staff.exists", f"staff {code} already exists")
    db.execute(
        "INSERT INTO staff (code, name, role, pin_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        [code, name.strip(), role, hash_pin(pin), now],
    )


def get(db: Database, code: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM staff WHERE code = ?", [code]))
    return rows[0] if rows else None


def listing(db: Database, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Staff without their PIN hashes, by code."""
    where = "WHERE disabled_at IS NULL" if active_only else ""
    return list(
        db.query(
            "SELECT code, name, role, created_at, disabled_at, locked_until, last_sign_in_at"
            f" FROM staff {where} ORDER BY code"
        )
    )


def disable(db: Database, code: str, *, now: int) -> None:
    if get(db, code) is None:
        raise StaffError("staff.unknown", f"no staff {code}")
    db.execute(
        "UPDATE staff SET disabled_at = COALESCE(disabled_at, ?) WHERE code = ?", [now, code]
    )


def active(db: Database, code: str) -> dict[str, Any] | None:
    """The staff member if they exist and are not disabled."""
    row = get(db, code)
    return row if row and row["disabled_at"] is None else None


def sign_in(db: Database, code: str, pin: str, *, now: int) -> SignIn:
    """Check a PIN, counting failures and locking after MAX_FAILURES (call inside write)."""
    row = get(db, code)
    if row is None:
        return SignIn(False, "unknown")
    if row["disabled_at"] is not None:
        return SignIn(False, "disabled")
    if row["locked_until"] and row["locked_until"] > now:
        return SignIn(False, "locked", locked_until=row["locked_until"])
    failures = row["failures"]  # zeroed when a lock is set, so a lock that ran out: afresh
    if pin_matches(pin, row["pin_hash"]):
        db.execute(
            "UPDATE staff SET failures = 0, locked_until = NULL, last_sign_in_at = ?"
            " WHERE code = ?",
            [now, code],
        )
        return SignIn(True, staff=row)
    failures += 1
    if failures >= MAX_FAILURES:
        until = now + LOCK_MS
        db.execute("UPDATE staff SET failures = 0, locked_until = ? WHERE code = ?", [until, code])
        return SignIn(False, "locked", locked_until=until)
    db.execute(
        "UPDATE staff SET failures = ?, locked_until = NULL WHERE code = ?", [failures, code]
    )
    return SignIn(False, "wrong_pin", tries_left=MAX_FAILURES - failures)
