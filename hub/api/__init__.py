"""The hub's HTTP API under ``/api/v1``: one module per resource, each a thin surface over the
domain modules (hub/casework.py, hub/delivery.py, hub/ingest.py, ...). Devices sign their
requests (sync: enrolment, push, pull, scans); people send a bearer token (the rest)."""

from __future__ import annotations

from flask import Flask

from hub.api import (
    alarms,
    applications,
    audit,
    devices,
    openapi,
    ratings,
    scans,
    shipments,
    stats,
    sync,
)


def register(app: Flask) -> None:
    """Add every API route to the app."""
    for module in (
        sync,
        applications,
        scans,
        devices,
        audit,
        alarms,
        stats,
        shipments,
        ratings,
        openapi,
    ):
        app.register_blueprint(module.bp)
