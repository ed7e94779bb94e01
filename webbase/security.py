"""The pages' security: the session signing key kept in a file, and the headers every page
carries (they show personal data, masked, and receipts: never cached, never framed)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Response

# Everything from this origin, nothing framing it; each app's shell adds what it needs.
POLICY_DIRECTIVES = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self' 'unsafe-inline'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**more: str) -> str:
    """The pages' policy with ``more`` directives (``img_src=...`` for ``img-src``) replacing or
    adding to it, so an app's shell widens or narrows one directive and inherits the rest."""
    directives = {**POLICY_DIRECTIVES, **{k.replace("_", "-"): v for k, v in more.items()}}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CONTENT_SECURITY_POLICY = content_security_policy()
KEY_FILE = "web-secret.key"


def secret_key(folder: Path) -> bytes:
    """The pages' signing key in ``folder/web-secret.key``: made once, kept owner-only (0600)."""
    path = folder / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
        raise RuntimeError(f"{path} is damaged: delete it and start again") from None
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
        out.flush()
        os.fsync(out.fileno())
    return path.read_bytes()


def page_headers(
    response: Response, *, no_store: bool = True, policy: str = CONTENT_SECURITY_POLICY
) -> Response:
    """The headers of a page (those the view set itself are kept); ``no_store`` for all but
    static files."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", policy)
    if no_store:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
