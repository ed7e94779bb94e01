"""The audit log: each read of decrypted personal data and each device revoked (PIPL)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def audit(
    db: Database, *, at: int, user: str, action: str, application: str | None, detail: str = ""
) -> None:
    db.execute(
        "INSERT INTO audit_log (at, user, action, application, detail) VALUES (?, ?, ?, ?, ?)",
        [at, user, action, application, detail],
    )


def audit_entries(db: Database, application: str | None = None) -> list[dict[str, Any]]:
    if application:
        return list(
            db.query("SELECT * FROM audit_log WHERE application = ? ORDER BY id", [application])
        )
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT 500"))
