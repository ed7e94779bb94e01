"""Every error is a page in the user's language with what to do next, never a stack trace.

pages = ErrorPages(titles, hints)   an app's wording: TITLES and HINTS here, with its own
pages.page(code, hint=None)         the error page (``error.html``) and its status
pages.known(exc)                    the page of a CSRF or HTTP error; None for any other
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

TITLES: dict[int, object] = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    500: _l("Something went wrong"),
}
HINTS: dict[int, object] = {
    400: _l("Go back, reload the page and try again."),
    405: _l("Go back and use the buttons on the page."),
}
CSRF_HINT = _l(
    "The form had expired or did not come from this page. Reload the page and send it again."
)


class ErrorPages:
    """The error pages of one app: a title and a hint per status (400 and 500 at least), and
    a link to its home page."""

    def __init__(
        self, titles: Mapping[int, object], hints: Mapping[int, object], home_endpoint: str
    ) -> None:
        self.titles = titles
        self.hints = hints
        self.home_endpoint = home_endpoint

    def page(self, code: int, hint: object = None) -> tuple[str, int]:
        """The page of ``code``, answered with that status; one without words of its own
        reads as 400's or 500's."""
        shown = code if code in self.titles else 500 if code >= 500 else 400
        title, hint = self.titles[shown], hint or self.hints[shown]
        page = render_template(
            "webbase/error.html",
            code=shown,
            title=title,
            hint=hint,
            home_endpoint=self.home_endpoint,
        )
        return page, code

    def known(self, exc: Exception) -> ResponseReturnValue | None:
        """A forged or expired form, or an HTTP error (an HTTP redirect passes on as it is)."""
        if isinstance(exc, CSRFError):
            return self.page(400, CSRF_HINT)
        if isinstance(exc, HTTPException):
            if exc.code is None or exc.code < 400:
                return exc
            return self.page(exc.code)
        return None
