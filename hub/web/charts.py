"""Small server-rendered charts for the statistics page: inline SVG, no JavaScript.

    bar_chart(...)    vertical bars, one group per label (throughput per day: received and
                      completed side by side)
    hbar_chart(...)   horizontal bars, one row per label (rates per department, 0..1)
    buckets(days)     a long period's days summed into weeks or months, so bars stay readable

Each chart is a ``<figure>``: the SVG (``role="img"``, named by its ``<title>`` and described by
its ``<desc>``), a legend in the SVG, a ``<title>`` on every bar for pointer users, and the same
figures as a data table in a ``<details>`` below it, for screen readers and for reading exact
numbers. Colours have at least 4.5:1 contrast on white and the table never depends on colour.
Every text is escaped here; the caller passes it already translated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

COLOURS = ("#0b5394", "#b35900", "#1d6b2f")  # blue, orange, green: >= 4.5:1 on white
INK, GRID, MUTED = "#1a1a1a", "#c8c8c8", "#4a4a4a"
WIDTH = 320  # the viewBox width: about the width of a phone, so texts stay readable there
FONT = 13


@dataclass(frozen=True)
class Series:
    """One row of figures, drawn in one colour (the next of COLOURS unless given)."""

    name: str
    values: Sequence[float | int | None]
    colour: str = ""


def fmt(value: float | int | None, *, percent: bool, none: str) -> str:
    if value is None:
        return none
    if percent:
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return str(int(value))


def nice_max(value: float) -> float:
    """A round top for the axis at or above ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _colours(series: Sequence[Series]) -> list[str]:
    return [s.colour or COLOURS[i % len(COLOURS)] for i, s in enumerate(series)]


def _legend(series: Sequence[Series], colours: list[str], y: int) -> str:
    parts, x = [], 0
    for s, colour in zip(series, colours, strict=True):
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="{FONT}" fill="{INK}">{escape(s.name)}</text>'
        )
        x += 16 + 14 * len(s.name) + 20  # generous: CJK characters are about one em wide
    return "".join(parts)


def _table(
    chart_id: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label_header: str,
    summary: str,
    percent: bool,
    none: str,
) -> str:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(
            f'<td data-label="{escape(s.name)}">'
            f"{escape(fmt(s.values[i], percent=percent, none=none))}</td>"
            for s in series
        )
        + "</tr>"
        for i, label in enumerate(labels)
    )
    return (
        f'<details class="chart-data" data-testid="{escape(chart_id)}-table">'
        f"<summary>{escape(summary)}</summary>"
        f'<div class="table-wrap"><table class="list">'
        f'<thead><tr><th scope="col">{escape(label_header)}</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></details>"
    )


def _figure(chart_id: str, title: str, desc: str, height: int, body: str, table: str) -> Markup:
    cid = escape(chart_id)
    return Markup(
        f'<figure class="chart" id="{cid}" data-testid="{cid}">'
        f'<figcaption aria-hidden="true">{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-labelledby="{cid}-title {cid}-desc" font-family="sans-serif">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
        f"{body}</svg>{table}</figure>"
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_header: str,
    table_summary: str,
    axis_labels: Sequence[str] | None = None,
    none: str = "-",
) -> Markup:
    """Vertical bars: for each label a group with one bar per series (counts, not rates).
    ``axis_labels`` are the shorter texts under the bars (at most about eight are shown)."""
    n = len(labels)
    colours = _colours(series)
    left, top, plot_h = 34, 28, 150
    plot_w = WIDTH - left - 4
    height = top + plot_h + 24
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top_value = nice_max(float(peak))
    parts = [_legend(series, colours, 14)]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="{FONT - 2}" fill="{MUTED}"'
            f' text-anchor="end">{fmt(top_value * fraction, percent=False, none=none)}</text>'
        )
    group_w = plot_w / max(n, 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    step = max(1, math.ceil(n / 8))
    short = list(axis_labels) if axis_labels is not None else list(labels)
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = 0.0 if value is None else plot_h * float(value) / top_value
            text = f"{label} {s.name}{_(': ')}{fmt(value, percent=False, none=none)}"
            parts.append(
                f'<rect x="{x0 + j * bar_w:.2f}" y="{top + plot_h - h:.2f}" width="{bar_w:.2f}"'
                f' height="{h:.2f}" fill="{colours[j]}"><title>{escape(text)}</title></rect>'
            )
        if i % step == 0 and left + i * group_w + 6.5 * len(short[i]) <= WIDTH:
            parts.append(
                f'<text x="{left + i * group_w:.1f}" y="{top + plot_h + 16}"'
                f' font-size="{FONT - 2}" fill="{MUTED}">{escape(short[i])}</text>'
            )
    table = _table(
        chart_id,
        labels,
        series,
        label_header=label_header,
        summary=table_summary,
        percent=False,
        none=none,
    )
    return _figure(chart_id, title, desc, height, "".join(parts), table)


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_header: str,
    table_summary: str,
    none: str = "-",
) -> Markup:
    """Horizontal bars of rates (0..1): one row per label, its name above its bars, the
    figure at the end of each bar (``none`` where there is nothing to rate)."""
    colours = _colours(series)
    bar_h, gap = 14, 10
    row_h = FONT + 4 + len(series) * (bar_h + 2) + gap
    top = 26 if len(series) > 1 else 4
    plot_w = WIDTH - 64
    parts = [_legend(series, colours, 14)] if len(series) > 1 else []
    for i, label in enumerate(labels):
        y = top + i * row_h
        parts.append(
            f'<text x="0" y="{y + FONT}" font-size="{FONT}" fill="{INK}">{escape(label)}</text>'
        )
        for j, s in enumerate(series):
            value = s.values[i]
            by = y + FONT + 4 + j * (bar_h + 2)
            w = 0.0 if value is None else plot_w * max(0.0, min(1.0, float(value)))
            shown = fmt(value, percent=True, none=none)
            parts.append(
                f'<rect x="0" y="{by}" width="{plot_w}" height="{bar_h}" fill="#eeeeee"/>'
                f'<rect x="0" y="{by}" width="{w:.2f}" height="{bar_h}" fill="{colours[j]}">'
                f"<title>{escape(label + ' ' + s.name + _(': ') + shown)}</title></rect>"
                f'<text x="{plot_w + 4}" y="{by + bar_h - 2}" font-size="{FONT - 1}"'
                f' fill="{INK}">{escape(shown)}</text>'
            )
    height = top + max(len(labels), 1) * row_h
    table = _table(
        chart_id,
        labels,
        series,
        label_header=label_header,
        summary=table_summary,
        percent=True,
        none=none,
    )
    return _figure(chart_id, title, desc, height, "".join(parts), table)


def buckets(days: Sequence[dict[str, Any]], *, max_bars: int = 62) -> tuple[str, list[dict]]:
    """``stats.daily``'s days as at most ``max_bars`` bars: per ``day``, else per ``week``
    (7 days from the first), else per ``month``. Each bar: label (its first day, or the
    month), received, completed."""
    rows = [
        {"label": d["day"], "received": d["received"], "completed": d["completed"]} for d in days
    ]
    if len(rows) <= max_bars:
        return "day", rows
    unit = "week"
    keyed: dict[str, dict[str, Any]] = {}
    first = date.fromisoformat(days[0]["day"])
    if math.ceil(len(rows) / 7) > max_bars:
        unit = "month"
    for d in days:
        day = date.fromisoformat(d["day"])
        if unit == "week":
            key = (first + timedelta(days=(day - first).days // 7 * 7)).isoformat()
        else:
            key = day.isoformat()[:7]
        bar = keyed.setdefault(key, {"label": key, "received": 0, "completed": 0})
        bar["received"] += d["received"]
        bar["completed"] += d["completed"]
    return unit, list(keyed.values())
