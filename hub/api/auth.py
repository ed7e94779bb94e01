"""Who is asking: bearer-token authentication with a role check, and the acting user's name
and workflow role as the domain records them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request

from hub import casework, context
from hub.errors import ApiError
from hub.users import user_for_token

_P = ParamSpec("_P")


_R = TypeVar("_R")


def requires(*roles: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Bearer-token authentication and a role check."""

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(view)
        def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token>")
            user = user_for_token(context.get_db(), header[7:].strip())
            if user is None:
                raise ApiError(401, "unauthenticated", "unknown or disabled API token")
            if user["role"] not in roles:
                raise ApiError(403, "forbidden", f"the {user['role']} role may not do this")
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorate


def actor() -> str:
    """The signed-in user as the timeline names an actor: ``name(role)``."""
    return f"{g.user['name']}({g.user['role']})"


def role() -> str:
    """The workflow role the signed-in user acts in."""
    return casework.role_of(g.user)
