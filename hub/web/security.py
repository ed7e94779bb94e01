"""The pages' protection against forged requests: every form carries a CSRF token, checked
by the pages only (the API signs its requests or sends a bearer token)."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
