"""Hub users: roles, API tokens and passwords.

Passwords are hashed with scrypt through Werkzeug (Flask's own dependency); API tokens are
random 32-byte secrets stored only as their SHA-256, shown once when the user is created.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from .store import admin

ROLES = ("admin", "operator", "officer")
# Roles that may read decrypted personal data (each read is audited). An officer only for
# applications routed to their own unit.
REVEAL_ROLES = frozenset({"admin", "operator", "officer"})


class UserError(ValueError):
    """Bad input when creating or finding a user."""


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    unit: str | None
    token: str
    password: str


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
    """Add a user; the token (and a generated password if none is given) are shown once."""
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
    if admin.user_by_name(db, name) is not None:
        raise UserError(f"a user named {name} already exists")
    token = "dbt_" + secrets.token_urlsafe(32)
    password = password or secrets.token_urlsafe(9)
    admin.add_user(
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
    return admin.user_by_token(db, token_hash(token))


# Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def check_password(db: Database, name: str, password: str) -> dict[str, Any] | None:
    """The active user with this name and password, or None (unknown, wrong or disabled)."""
    user = admin.user_by_name(db, name.strip()) if name else None
    stored = user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH
    ok = check_password_hash(stored, password or "")
    if user is None or not ok or user["disabled"]:
        return None
    return user


def active_user(db: Database, name: str) -> dict[str, Any] | None:
    """The user with this name if they are not disabled (the pages' session check)."""
    user = admin.user_by_name(db, name)
    return user if user is not None and not user["disabled"] else None
