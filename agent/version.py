"""The agent's version, as it reports it to the hub (enrolment and every request's heartbeat)."""

from __future__ import annotations

from importlib.metadata import version as package_version


def agent_version() -> str:
    try:
        return package_version("daiban")
    except Exception:  # running from a source tree without metadata
        return "0.0.0"
