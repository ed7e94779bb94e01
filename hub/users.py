"""Hub users: roles, API tokens, passwords, and the guard on signing in with a password.

Passwords are hashed with scrypt through Werkzeug (Flask's own dependency); API tokens are
random 32-byte secrets stored only as their SHA-256, shown once when the user is created.
A password the hub sets must be at least ``MIN_PASSWORD`` characters and hard to guess by
zxcvbn's estimate (Dropbox's estimator: common passwords, keyboard walks, sequences, dates,
repeats, the user's own name); generated ones always are.

Signing in with a password is throttled per account (the name typed, known or not) and per
client address: ``begin_sign_in`` before the password is checked, ``end_sign_in`` after it.
The counts live in the hub's database (``signin_throttle``), on the hub's clock.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from hub import store
from hub.errors import HubError
from hub.store import write
from sync.addresses import address_key

ROLES = ("admin", "operator", "officer")
# Roles that may read decrypted personal data (each read is audited). An officer only for
# applications routed to their own unit.
REVEAL_ROLES = frozenset({"admin", "operator", "officer"})


class UserError(HubError):
    """Bad input when creating or finding a user."""


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    unit: str | None
    token: str
    password: str


MIN_PASSWORD = 10
MAX_PASSWORD = 256
MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" (about 10^8 guesses or more)
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input: the first 72 characters are judged
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user inputs in a module-wide dictionary


def password_problem(password: str, *, name: str = "") -> str | None:
    """Why ``password`` is not good enough for the hub (one line), or None if it is."""
    if len(password) < MIN_PASSWORD:
        return f"a password is at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password is at most {MAX_PASSWORD} characters"
    from zxcvbn import zxcvbn  # ~70 ms to import its word lists: only when a password is set

    with _zxcvbn_lock:
        verdict = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[name, "daiban", *ROLES])
    if verdict["score"] >= MIN_SCORE:
        return None
    why = verdict["feedback"]["warning"].rstrip(".")
    return "the password is too easy to guess" + (f" ({why})" if why else "")


def generate_password(name: str = "") -> str:
    """A random password that passes ``password_problem`` (12 URL-safe characters)."""
    for _ in range(100):
        password = secrets.token_urlsafe(9)
        if password_problem(password, name=name) is None:
            return password
    return secrets.token_urlsafe(24)  # not reached in practice: 32 random characters


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    db: Database,
    *,
    name: str,
    role: str,
    unit: str | None,
    known_units: set[str],
    now: int,
    password: str | None = None,
) -> NewUser:
    """Add a user; the token (and a generated password if none is given) are shown once.

    A given password must pass ``password_problem`` (``UserError`` otherwise: nothing added).
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise UserError("a user name is 1-64 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer":
        if not unit:
            raise UserError("an officer belongs to a department unit: give --unit")
        if unit not in known_units:
            raise UserError(f"no department unit {unit} in the catalogue")
    elif unit:
        raise UserError("only officers belong to a unit")
    if store.users.user_by_name(db, name) is not None:
        raise UserError(f"a user named {name} already exists")
    if password is None:
        password = generate_password(name)
    else:
        problem = password_problem(password, name=name)
        if problem is not None:
            raise UserError(
                f"{problem}: choose a longer, less common one, or leave --password out to have"
                " one generated"
            )
    token = "dbt_" + secrets.token_urlsafe(32)
    store.users.add_user(
        db,
        name=name,
        role=role,
        unit=unit,
        password_hash=generate_password_hash(password, method="scrypt"),
        token_hash=token_hash(token),
        now=now,
    )
    return NewUser(name=name, role=role, unit=unit, token=token, password=password)


def user_for_token(db: Database, token: str) -> dict[str, Any] | None:
    return store.users.user_by_token(db, token_hash(token))


# Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def check_password(db: Database, name: str, password: str) -> dict[str, Any] | None:
    """The active user with this name and password, or None (unknown, wrong or disabled)."""
    user = store.users.user_by_name(db, name.strip()) if name else None
    stored = user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH
    ok = check_password_hash(stored, password or "")
    if user is None or not ok or user["disabled"]:
        return None
    return user


def active_user(db: Database, name: str) -> dict[str, Any] | None:
    """The user with this name if they are not disabled (the pages' session check)."""
    user = store.users.user_by_name(db, name)
    return user if user is not None and not user["disabled"] else None


# --- the sign-in guard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """How one scope (account or address) limits failed sign-ins.

    ``tries`` failures within ``window_ms`` start a block of ``delay_ms``; after a block each
    further failure starts another, twice as long each time (up to ``max_delay_ms``). A record
    with no failure and no block for ``forget_ms`` is forgotten; a good sign-in forgets the
    account's at once.
    """

    tries: int
    window_ms: int
    delay_ms: int
    max_delay_ms: int
    forget_ms: int


def throttles(config: Mapping[str, Any]) -> dict[str, Throttle]:
    """The account and address throttles from the hub's settings (``SIGNIN_*``)."""

    def make(tries: int) -> Throttle:
        return Throttle(
            tries=max(1, int(tries)),
            window_ms=int(config["SIGNIN_WINDOW_S"]) * 1000,
            delay_ms=int(config["SIGNIN_DELAY_S"]) * 1000,
            max_delay_ms=int(config["SIGNIN_MAX_DELAY_S"]) * 1000,
            forget_ms=int(config["SIGNIN_FORGET_S"]) * 1000,
        )

    return {
        "account": make(config["SIGNIN_ACCOUNT_TRIES"]),
        "address": make(config["SIGNIN_ADDRESS_TRIES"]),
    }


def _keys(name: str, address: str | None) -> list[tuple[str, str]]:
    # Names are 1-64 characters: a longer one typed is counted by its first 100.
    return [("account", name.strip()[:100]), ("address", address_key(address))]


def _fresh(row: dict[str, Any] | None, now: int, rule: Throttle) -> dict[str, Any]:
    """The row as of ``now``: forgotten after a quiet spell, its window restarted if over."""
    if row is None or now - max(row["updated_at"], row["blocked_until"] or 0) > rule.forget_ms:
        return {"failures": 0, "window_start": now, "blocked_until": None, "lockouts": 0}
    row = {f: row[f] for f in store.users.THROTTLE_FIELDS}
    if now - row["window_start"] > rule.window_ms:
        row.update(failures=0, window_start=now)
    return row


def _allowance(row: dict[str, Any], rule: Throttle) -> int:
    return rule.tries if row["lockouts"] == 0 else 1


def _wait_ms(row: dict[str, Any], now: int, rule: Throttle) -> int | None:
    if row["blocked_until"] and row["blocked_until"] > now:
        return int(row["blocked_until"] - now)
    if row["failures"] >= _allowance(row, rule):
        return 1000  # the tries allowed are all in flight: one of them may block
    return None


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


def begin_sign_in(
    db: Database, *, name: str, address: str | None, now: int, rules: Mapping[str, Throttle]
) -> int | None:
    """Before a password is checked: the seconds to wait if this try is refused, or None.

    A try that goes ahead is counted as a failure at once, so that tries made at the same
    time cannot together exceed the allowance; ``end_sign_in`` settles it.
    """
    keys = _keys(name, address)
    with write(db, durable=False):  # bookkeeping: a power cut may lose a count, no more
        rows = store.users.throttle_rows(db, keys)
        fresh = {k: _fresh(rows.get(k), now, rules[k[0]]) for k in keys}
        waits = [w for k in keys if (w := _wait_ms(fresh[k], now, rules[k[0]])) is not None]
        if waits:
            return _seconds(max(waits))
        for (scope, key), row in fresh.items():
            row.update(failures=row["failures"] + 1, updated_at=now)
            store.users.save_throttle(db, scope, key, row)
        longest = max(r.forget_ms + r.max_delay_ms for r in rules.values())
        store.users.forget_throttles(db, before=now - longest)
    return None


def end_sign_in(
    db: Database,
    *,
    name: str,
    address: str | None,
    now: int,
    rules: Mapping[str, Throttle],
    ok: bool,
) -> int | None:
    """After the password was checked: the seconds of the block this failure started, if any.

    A good password forgets the account's failures and takes back the try counted against
    the address; a wrong one stays counted, and blocks the account or the address when its
    allowance is used up.
    """
    keys = _keys(name, address)
    started: list[int] = []
    with write(db, durable=False):
        rows = store.users.throttle_rows(db, keys)
        for scope, key in keys:
            rule = rules[scope]
            if ok and scope == "account":
                store.users.delete_throttle(db, scope, key)
                continue
            if ok and (scope, key) not in rows:
                continue
            row = _fresh(rows.get((scope, key)), now, rule)
            if ok:
                row["failures"] = max(0, row["failures"] - 1)
            elif row["failures"] >= _allowance(row, rule) and not (
                row["blocked_until"] and row["blocked_until"] > now
            ):
                delay = min(rule.delay_ms * 2 ** min(row["lockouts"], 30), rule.max_delay_ms)
                row.update(
                    blocked_until=now + delay,
                    lockouts=row["lockouts"] + 1,
                    failures=0,
                    window_start=now,
                )
                started.append(delay)
            row["updated_at"] = now
            store.users.save_throttle(db, scope, key, row)
    return _seconds(max(started)) if started else None


# --- disabling and new tokens -----------------------------------------------------------------


def _existing(db: Database, name: str) -> dict[str, Any]:
    user = store.users.user_by_name(db, name.strip())
    if user is None:
        raise UserError(f"no user {name.strip()} (see `daiban-hub user list`)")
    return user


def disable_user(db: Database, name: str, *, now: int, by: str) -> dict[str, Any]:
    """Disable a user: their API token is refused and their page sessions end at their next
    request (both look the user up each time). Their past actions stay theirs. Audited
    (``user_disabled``)."""
    user = _existing(db, name)
    if user["disabled"]:
        raise UserError(f"user {user['name']} is already disabled")
    store.users.set_user_disabled(db, user["name"], disabled=True)
    store.audit.audit(
        db, at=now, user=by, action="user_disabled", application=None, detail=user["name"]
    )
    return user


def new_token(db: Database, name: str, *, now: int, by: str) -> str:
    """Give an active user a new API token (shown once); the old one stops working at once.
    Audited (``user_token_rotated``)."""
    user = _existing(db, name)
    if user["disabled"]:
        raise UserError(f"user {user['name']} is disabled: a new token would not be accepted")
    token = "dbt_" + secrets.token_urlsafe(32)
    store.users.set_token_hash(db, user["name"], token_hash(token))
    store.audit.audit(
        db, at=now, user=by, action="user_token_rotated", application=None, detail=user["name"]
    )
    return token


def enable_user(db: Database, name: str, *, now: int, by: str) -> dict[str, Any]:
    """Let a disabled user in again, with the token and password they had (give them a new
    token with ``new_token`` if the old one may have leaked). Audited (``user_enabled``)."""
    user = _existing(db, name)
    if not user["disabled"]:
        raise UserError(f"user {user['name']} is not disabled")
    store.users.set_user_disabled(db, user["name"], disabled=False)
    store.audit.audit(
        db, at=now, user=by, action="user_enabled", application=None, detail=user["name"]
    )
    return user
