"""Statistics: queue counts, the operator's dashboard figures, figures per department, unit,
outlet or item (JSON and CSV), and daily throughput."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub import casework, context, dashboard, stats, store
from hub.api.auth import requires

bp = Blueprint("stats_api", __name__, url_prefix="/api/v1")


@bp.get("/stats/queues")
@requires("admin", "operator", "officer")
def queue_stats() -> Response:
    rows = store.applications.queue_counts(context.get_db())
    rows = [r for r in rows if casework.in_view(g.user, r["unit"])]
    return jsonify({"ok": True, "queues": rows})


@bp.get("/stats/dashboard")
@requires("admin", "operator")
def dashboard_figures() -> Response:
    """What the operator's dashboard shows, computed by the same function (hub.dashboard)."""
    figures = dashboard.figures(
        context.hub(), silent_hours=context.config_value("SYNC_SILENT_HOURS")
    )
    return jsonify({"ok": True, **figures})


def _report() -> dict[str, Any]:
    hub = context.hub()
    return stats.statistics(
        hub.db,
        hub.catalogue,
        by=request.args.get("by", "department"),
        start=request.args.get("from"),
        end=request.args.get("to"),
        today=hub.today,
    )


@bp.get("/stats")
@requires("admin", "operator", "officer")
def statistics() -> Response:
    """Figures per department, unit, outlet or item (``by``) over ``from``..``to``."""
    return jsonify({"ok": True, **_report()})


@bp.get("/stats.csv")
@requires("admin", "operator", "officer")
def statistics_csv() -> Response:
    report = _report()
    name = f"daiban-stats-{report['by']}-{report['from']}-{report['to']}.csv"
    return Response(
        stats.to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/stats/daily")
@requires("admin", "operator", "officer")
def statistics_daily() -> Response:
    """Received and completed per day over ``from``..``to`` (throughput)."""
    hub = context.hub()
    report = stats.daily(
        hub.db, start=request.args.get("from"), end=request.args.get("to"), today=hub.today
    )
    return jsonify({"ok": True, **report})
