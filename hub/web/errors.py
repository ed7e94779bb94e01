"""The pages' errors: a page in the user's language with what to do next, never a stack
trace (webbase.errors draws it, with the hub's own wording); hub.create_app sends every error
of a non-API path here."""

from __future__ import annotations

import logging

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import InternalServerError

from hub.errors import HubError
from sync.errors import ProtocolError
from webbase import errors

log = logging.getLogger("daiban.hub.web")

HINTS = {
    **errors.HINTS,
    403: _l("Your role does not allow this. Ask a hub administrator if you need it."),
    404: _l("It does not exist, or it is not in your unit's queue."),
    500: _l("Nothing was changed. Try again; if it happens again, tell the hub's operator."),
}
PAGES = errors.ErrorPages(errors.TITLES, HINTS, "pages.home")


def page_error(exc: Exception) -> ResponseReturnValue:
    """Any exception raised while drawing a page, as an error page."""
    known = PAGES.known(exc)
    if known is not None:
        return known
    if isinstance(exc, (HubError, ProtocolError)) and exc.status < 500:
        return PAGES.page(exc.status)  # a refusal no form caught: said, nothing changed
    log.exception("page failed on %s %s", request.method, request.path)
    return PAGES.page(InternalServerError.code)
