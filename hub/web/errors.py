"""The pages' errors: a page in the user's language with what to do next, never a stack
trace; hub.create_app sends every error of a non-API path here."""

from __future__ import annotations

import logging

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from hub.errors import HubError

log = logging.getLogger("daiban.hub.web")

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    500: _l("Something went wrong"),
}
HINTS = {
    400: _l("Go back, reload the page and try again."),
    403: _l("Your role does not allow this. Ask a hub administrator if you need it."),
    404: _l("It does not exist, or it is not in your unit's queue."),
    405: _l("Go back and use the buttons on the page."),
    500: _l("Nothing was changed. Try again; if it happens again, tell the hub's operator."),
}
CSRF_HINT = _l(
    "The form had expired or did not come from this page. Reload the page and send it again."
)


def error_page(code: int, hint: object = None) -> tuple[str, int]:
    code = code if code in TITLES else 500 if code >= 500 else 400
    return (
        render_template("error.html", code=code, title=TITLES[code], hint=hint or HINTS[code]),
        code,
    )


def page_error(exc: Exception) -> ResponseReturnValue:
    """Any exception raised while drawing a page, as an error page."""
    if isinstance(exc, CSRFError):
        return error_page(400, CSRF_HINT)
    if isinstance(exc, HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code)
    if isinstance(exc, HubError) and exc.status < 500:
        return error_page(exc.status)  # a refusal no form caught: said, nothing changed
    log.exception("page failed on %s %s", request.method, request.path)
    return error_page(InternalServerError.code)
