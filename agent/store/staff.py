"""Staff who sign in to the agent's pages: clerks and runners, each with a PIN.

A PIN is kept only as a salted scrypt hash, made and checked by Werkzeug as the hub's
passwords are (``scrypt:N:r:p$salt$hash``). PINs an earlier agent kept in a format of its own
(``scrypt$N$r$p$salt$hash``) still verify, and are kept anew in Werkzeug's format at their
next successful sign-in, so a laptop in the field needs no step of its own.

Wrong PINs are counted per client address (the machine the browser runs on), not per staff
member, so that someone else on the outlet's Wi-Fi cannot keep a clerk out: five wrong PINs
from one address within 15 minutes block that address for 5 minutes, and each further wrong
PIN from it after a block blocks it again for twice as long (up to an hour), until an hour
passes without one. The counts live in the database (``meta``, key ``signin.throttle``), so
they hold across the server's threads and restarts. Unknown codes, wrong PINs and disabled
staff get the same answer; only the right PIN of a disabled staff member is told so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from sync.addresses import address_key

from . import meta, write

ROLES: tuple[str, ...] = ("clerk", "runner")
MAX_FAILURES = 5  # wrong PINs from one address within WINDOW_MS that start a block
WINDOW_MS = 15 * 60 * 1000
LOCK_MS = 5 * 60 * 1000  # the first block; each one after it twice as long
MAX_LOCK_MS = 60 * 60 * 1000
FORGET_MS = 60 * 60 * 1000  # an address without a wrong PIN or a block for so long is forgotten
MAX_ADDRESSES = 256  # addresses kept at most (the most recent)
THROTTLE_KEY = "signin.throttle"
# The protocol's Code type: capture records the staff code as is.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
LEGACY_PREFIX = "scrypt$"  # the earlier agent's own format; Werkzeug's begins "scrypt:"


class StaffError(ValueError):
    """A staff change refused; ``code`` names the reason (for messages)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def hash_pin(pin: str) -> str:
    """A PIN's salted hash, in Werkzeug's scrypt format (its default cost)."""
    return generate_password_hash(pin, method="scrypt")


def pin_matches(pin: str, stored: str) -> bool:
    """Constant-time check of a PIN against a stored hash, of either format."""
    if needs_rehash(stored):
        return _legacy_pin_matches(pin, stored)
    try:
        return check_password_hash(stored, pin)
    except ValueError:  # a method Werkzeug does not know: a damaged row
        return False


def needs_rehash(stored: str) -> bool:
    """Kept in the earlier agent's format: hashed anew once the PIN has proved right."""
    return stored.startswith(LEGACY_PREFIX)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _legacy_pin_matches(pin: str, stored: str) -> bool:
    """``scrypt$N$r$p$salt$hash`` (unpadded URL-safe base64, 32-byte digest)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
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
    reason: str = ""  # wrong_pin (unknown staff too), disabled (with the right PIN), locked
    staff: dict[str, Any] | None = None
    locked_until: int | None = None  # when ``locked``: the block on this address ends
    tries_left: int = 0  # when ``wrong_pin``: before this address is blocked


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


def find(db: Database, who: str) -> dict[str, Any] | None:
    """The staff member a sign-in names: by code (also ignoring case), else by their name if
    one active staff member (or, with none active, one staff member) has it."""
    who = who.strip()
    if not who:
        return None
    row = get(db, who)
    if row is not None:
        return row
    rows = list(db.query("SELECT * FROM staff WHERE lower(code) = lower(?)", [who]))
    if len(rows) == 1:
        return rows[0]
    named = list(db.query("SELECT * FROM staff WHERE name = ? ORDER BY code", [who]))
    active_named = [r for r in named if r["disabled_at"] is None]
    if len(active_named) == 1:
        return active_named[0]
    return named[0] if len(named) == 1 else None


# Checked against when nobody has that code, so an unknown code costs as long as a wrong PIN.
_DUMMY_HASH = hash_pin("0000")


def _throttle(db: Database) -> dict[str, dict[str, Any]]:
    value = meta.get(db, THROTTLE_KEY, {})
    return value if isinstance(value, dict) else {}


def _fresh(entry: dict[str, Any] | None, now: int) -> dict[str, Any]:
    """An address's count as of ``now``: forgotten after a quiet hour, its window restarted."""
    if not entry or now - max(entry.get("at", 0), entry.get("until") or 0) > FORGET_MS:
        return {"failures": 0, "since": now, "until": None, "blocks": 0, "at": now}
    entry = dict(entry)
    if now - entry["since"] > WINDOW_MS:
        entry.update(failures=0, since=now)
    return entry


def _allowance(entry: dict[str, Any]) -> int:
    return MAX_FAILURES if entry["blocks"] == 0 else 1


def _save(db: Database, counts: dict[str, dict[str, Any]], now: int) -> None:
    kept = {a: e for a, e in counts.items() if now - max(e["at"], e.get("until") or 0) <= FORGET_MS}
    if len(kept) > MAX_ADDRESSES:
        kept = dict(sorted(kept.items(), key=lambda item: -item[1]["at"])[:MAX_ADDRESSES])
    meta.put(db, THROTTLE_KEY, kept)


def _rehash(pin: str, row: dict[str, Any]) -> str | None:
    """The right PIN's hash in the current format, if its row keeps an older one and the
    sign-in succeeds (a disabled staff member's row is left as it is)."""
    if row["disabled_at"] is not None or not needs_rehash(row["pin_hash"]):
        return None
    return hash_pin(pin)


def sign_in(db: Database, who: str, pin: str, *, address: str | None, now: int) -> SignIn:
    """Check the PIN of the staff member ``who`` names (code or name), for a browser at
    ``address``. Opens its own write transactions: call it outside one.

    A try that goes ahead is counted as a wrong PIN before the PIN is checked, so that tries
    made at the same time cannot together exceed the allowance; a right PIN takes it back.
    """
    key = address_key(address)
    with write(db, durable=False):  # bookkeeping: a power cut may lose a count, no more
        counts = _throttle(db)
        entry = _fresh(counts.get(key), now)
        if entry["until"] and entry["until"] > now:
            return SignIn(False, "locked", locked_until=entry["until"])
        if entry["failures"] >= _allowance(entry):  # the tries allowed are all in flight
            return SignIn(False, "locked", locked_until=now + 1000)
        entry.update(failures=entry["failures"] + 1, at=now)
        counts[key] = entry
        _save(db, counts, now)
    row = find(db, who)
    right = pin_matches(pin, row["pin_hash"] if row else _DUMMY_HASH) and row is not None
    # Hashed before the write transaction: scrypt takes a while, other sign-ins wait on it.
    upgrade = _rehash(pin, row) if right and row is not None else None
    with write(db, durable=False):
        counts = _throttle(db)
        entry = _fresh(counts.get(key), now)
        if right:
            entry["failures"] = max(0, entry["failures"] - 1)
        elif entry["failures"] >= _allowance(entry) and not (
            entry["until"] and entry["until"] > now
        ):
            until = now + min(LOCK_MS * 2 ** min(entry["blocks"], 30), MAX_LOCK_MS)
            entry.update(until=until, blocks=entry["blocks"] + 1, failures=0, since=now)
            counts[key] = {**entry, "at": now}
            _save(db, counts, now)
            return SignIn(False, "locked", locked_until=until)
        counts[key] = {**entry, "at": now}
        _save(db, counts, now)
        if not right or row is None:
            return SignIn(False, "wrong_pin", tries_left=_allowance(entry) - entry["failures"])
        if row["disabled_at"] is not None:
            return SignIn(False, "disabled")
        db.execute("UPDATE staff SET last_sign_in_at = ? WHERE code = ?", [now, row["code"]])
        if upgrade is not None:  # unless the PIN was changed meanwhile
            db.execute(
                "UPDATE staff SET pin_hash = ? WHERE code = ? AND pin_hash = ?",
                [upgrade, row["code"], row["pin_hash"]],
            )
    return SignIn(True, staff=row)
