"""Every error is a page in the staff's language, never a stack trace (webbase.errors draws
it, with the outlet's own wording)."""

from __future__ import annotations

import logging

from flask import Flask
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import InternalServerError

from webbase import errors

log = logging.getLogger("daiban.agent.web")

TITLES = {**errors.TITLES, 413: _l("The files are too large")}
HINTS = {
    **errors.HINTS,
    403: _l("Your role does not allow this. Ask the outlet's clerk."),
    404: _l("Check the receipt number, or start again from the home page."),
    413: _l("Send fewer or smaller scans at a time (at most 64 MB in one form)."),
    500: _l("Nothing you entered was lost. Try again; if it happens again, tell the hub."),
}
PAGES = errors.ErrorPages(TITLES, HINTS, "pages.today")


def init_app(app: Flask) -> None:
    @app.errorhandler(Exception)
    def page_error(exc: Exception) -> ResponseReturnValue:
        known = PAGES.known(exc)
        if known is not None:
            return known
        log.exception("page failed", exc_info=exc)
        return PAGES.page(InternalServerError.code)
