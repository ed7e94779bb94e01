"""The statistics page's chart helper: inline SVG that is well-formed, named and described,
bars in proportion to the figures, every text escaped, and the same figures as a table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from hub.web import charts

NS = {"svg": "http://www.w3.org/2000/svg"}


def svg_of(markup: str) -> ET.Element:
    found = re.search(r"<svg.*?</svg>", str(markup), re.DOTALL)
    assert found
    return ET.fromstring(found.group(0))


def table_rows(markup: str) -> list[list[str]]:
    body = str(markup).split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in body.split("</tr>") if row]


def bars(svg: ET.Element) -> list[ET.Element]:
    """The data bars: rects with a <title> (legend swatches and tracks have none)."""
    return [
        r
        for r in svg.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("svg:title", NS) is not None
    ]


def test_bar_chart_draws_one_bar_per_figure_in_proportion_with_a_table():
    out = charts.bar_chart(
        chart_id="t",
        title="Throughput per day",
        desc="received and completed",
        labels=["2026-09-20", "2026-09-21", "2026-09-22"],
        axis_labels=["09-20", "09-21", "09-22"],
        series=[charts.Series("received", [4, 0, 10]), charts.Series("completed", [2, 5, None])],
        label_header="Day",
        table_summary="Show the figures as a table",
    )
    svg = svg_of(out)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "t-title t-desc"
    assert svg.findtext("svg:title", namespaces=NS) == "Throughput per day"
    assert svg.findtext("svg:desc", namespaces=NS) == "received and completed"
    drawn = bars(svg)
    assert len(drawn) == 6
    heights = {r.findtext("svg:title", namespaces=NS): float(r.attrib["height"]) for r in drawn}
    assert heights["2026-09-22 received: 10"] == 150.0  # the axis tops at 10
    assert heights["2026-09-20 received: 4"] == 60.0
    assert heights["2026-09-21 received: 0"] == 0.0
    assert heights["2026-09-22 completed: -"] == 0.0
    assert {r.get("fill") for r in drawn} == {charts.COLOURS[0], charts.COLOURS[1]}
    assert table_rows(out) == [
        ["2026-09-20", "4", "2"],
        ["2026-09-21", "0", "5"],
        ["2026-09-22", "10", "-"],
    ]
    assert (
        'data-testid="t-table"' in out and "<summary>Show the figures as a table</summary>" in out
    )


def test_hbar_chart_shows_rates_as_percentages_and_no_data_without_a_bar():
    out = charts.hbar_chart(
        chart_id="rates",
        title="On-time rate",
        desc="per unit",
        labels=["人社局", "公安局", "Total"],
        series=[charts.Series("On-time rate", [0.5, None, 1.0])],
        label_header="unit",
        table_summary="table",
        none="no data",
    )
    svg = svg_of(out)
    widths = {r.findtext("svg:title", namespaces=NS): float(r.attrib["width"]) for r in bars(svg)}
    assert widths == {
        "人社局 On-time rate: 50.0%": 128.0,
        "公安局 On-time rate: no data": 0.0,
        "Total On-time rate: 100.0%": 256.0,
    }
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["人社局", "50.0%", "公安局", "no data", "Total", "100.0%"]
    assert table_rows(out) == [["人社局", "50.0%"], ["公安局", "no data"], ["Total", "100.0%"]]


def test_every_text_is_escaped():
    out = str(
        charts.hbar_chart(
            chart_id="x",
            title="<script>alert(1)</script>",
            desc="a & b",
            labels=['"><img src=x>'],
            series=[charts.Series("<b>", [0.25])],
            label_header="<i>",
            table_summary="s",
        )
    )
    assert "<script>" not in out and "<img" not in out and "<b>" not in out and "<i>" not in out
    assert "&lt;script&gt;" in out and "a &amp; b" in out
    svg_of(out)  # still well-formed XML


def test_an_empty_period_draws_an_empty_chart():
    out = charts.bar_chart(
        chart_id="e",
        title="t",
        desc="d",
        labels=[],
        series=[charts.Series("received", [])],
        label_header="Day",
        table_summary="s",
    )
    assert bars(svg_of(out)) == [] and table_rows(out) == []


def test_long_periods_are_summed_into_weeks_then_months():
    def days(n: int) -> list[dict]:
        first = date(2026, 1, 1)
        return [
            {"day": (first + timedelta(days=i)).isoformat(), "received": 1, "completed": i % 2}
            for i in range(n)
        ]

    unit, rows = charts.buckets(days(31))
    assert unit == "day" and len(rows) == 31 and rows[0]["label"] == "2026-01-01"
    unit, rows = charts.buckets(days(100))
    assert unit == "week" and len(rows) == 15
    assert rows[0] == {"label": "2026-01-01", "received": 7, "completed": 3}
    assert rows[-1]["label"] == "2026-04-09" and rows[-1]["received"] == 2
    unit, rows = charts.buckets(days(730))
    assert unit == "month" and len(rows) == 24
    assert rows[1] == {"label": "2026-02", "received": 28, "completed": 14}
    assert sum(r["received"] for r in rows) == 730


def test_nice_axis_tops():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 10, 11, 480)] == [1, 1, 5, 10, 10, 20, 500]
