"""Every error is a page in the staff's language, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("daiban.agent.web")

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    413: _l("The files are too large"),
    500: _l("Something went wrong"),
}
HINTS = {
    400: _l("Go back, reload the page and try again."),
    403: _l("Your role does not allow this. Ask the outlet's clerk."),
    404: _l("Check the receipt number, or start again from the home page."),
    405: _l("Go back and use the buttons on the page."),
    413: _l("Send fewer or smaller scans at a time (at most 64 MB in one form)."),
    500: _l("Nothing you entered was lost. Try again; if it happens again, tell the hub."),
}
CSRF_HINT = _l(
    "The form had expired or did not come from this page. Reload the page and send it again."
)


def _page(code: int, hint: object = None) -> tuple[str, int]:
    code = code if code in TITLES else 500 if code >= 500 else 400
    return (
        render_template("error.html", code=code, title=TITLES[code], hint=hint or HINTS[code]),
        code,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf(exc: CSRFError) -> tuple[str, int]:
        return _page(400, CSRF_HINT)

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException) -> HTTPException | tuple[str, int]:
        if exc.code is None or exc.code < 400:
            return exc
        return _page(exc.code)

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> HTTPException | tuple[str, int]:
        if isinstance(exc, HTTPException):
            return http(exc)
        log.exception("page failed", exc_info=exc)
        return _page(InternalServerError.code)
