"""The hub's refusals: one base with a stable code, an HTTP status, the field at fault and
words for the caller.

Domain code raises them (a case, a carrier event, a blob, a batch, a user, set-up); the API
answers each in its JSON shape (hub/api/errors.py) and the pages show it on the field or as
an error page (hub/web/errors.py). Every code the API can answer is listed with its status in
docs/api.md, and tests/hub/test_error_codes.py fails for one that is not.
"""

from __future__ import annotations

from typing import Any


class HubError(ValueError):
    """A refusal by the hub's rules. ``code`` is stable, ``status`` the HTTP status the API
    answers with, ``field`` the input at fault (or None), ``extra`` more of the JSON body."""

    code = "invalid"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.extra = extra

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the body (a resume offset, say)."""
        return {}


class ApiError(HubError):
    """A refusal of a request as such (its arguments, its token, what it may see), named by
    status and code: ``ApiError(404, "not_found", "no such application")``."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message, code=code, status=status, field=field, **extra)
