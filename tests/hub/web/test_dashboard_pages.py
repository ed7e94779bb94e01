"""The operator's dashboard and the statistics exports against a real served hub: outlets by
name, the unit x state table with every state as a column and totals, the time of the
figures; CSV headers in the reader's language with rates as percentages, and the same rows
in an Excel workbook read back with openpyxl."""

from __future__ import annotations

import csv
import io
import re

import requests
from openpyxl import load_workbook

from hub import store
from hub.store import write
from hub.workflow import LABELS, STATES
from tests.hub.test_e2e_sync import apps_for, enrolled
from tests.hub.web.test_pages import UNIT, signed_in, token

OUTLET = "PO-WUHOU-01"
OUTLET_NAME = "武侯区人民南路邮政所"


def named_outlet(hub) -> None:
    db = hub.db()
    with write(db):
        db.execute("UPDATE outlets SET name = ? WHERE code = ?", [OUTLET_NAME, OUTLET])
    db.close()


def decided(hub, n: int = 2) -> list:
    """``n`` applications in from PO-WUHOU-01; the first accepted and approved (on time)."""
    device = enrolled(hub, OUTLET)
    apps = apps_for(device, n)
    device.push(apps)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('wang', 'officer', unit=UNIT)}"
    for action in ("accept", "approve"):
        done = api.post(
            f"{hub.url}/api/v1/applications/{apps[0].id}/actions",
            json={"action": action},
            timeout=10,
        )
        assert done.status_code == 200, done.text
    return apps


def section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</table>")[0]


def test_the_dashboard_shows_outlet_names_every_state_and_totals(hub):
    named_outlet(hub)
    apps = decided(hub)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10).text
    assert 'data-testid="received-today">2<' in page
    assert re.search(r'data-testid="computed-at">[^<]*2026-09-21 10:00', page), page[:3000]
    # The oldest waiting application of each stage, its outlet by name, not by code.
    waiting = section(page, "waiting")
    assert f'data-testid="oldest-routed">{apps[1].receipt}<' in waiting
    assert OUTLET_NAME in waiting and OUTLET not in waiting
    # Every state a column, in workflow order, zeros shown; a total per row and per column.
    table = section(page, "queue-counts")
    head = table.split("</thead>")[0]
    columns = re.findall(r'<th scope="col" data-state="([a-z_]+)">', head)
    assert columns == list(STATES)
    assert [LABELS[s] for s in STATES] == re.findall(r'data-state="[a-z_]+">([^<]+)<', head)
    assert "合计" in head
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count('class="zero"') == len(STATES) - 2  # routed 1, approved 1
    totals = table.split('data-testid="queue-totals"')[1]
    assert totals.count("<td") == len(STATES) + 1 and "<strong>2</strong>" in totals
    # Each cell labelled for the phone layout, where the table becomes cards.
    assert f'data-label="{LABELS["closed"]}"' in body


def test_the_dashboard_lists_a_silent_device_and_its_outlet_by_name(hub, clock):
    named_outlet(hub)
    device = enrolled(hub, OUTLET)
    device.push(apps_for(device, 1))
    clock.advance(days=2)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10).text
    assert 'data-testid="not-syncing">1<' in page
    assert f'data-testid="silent-outlet-{OUTLET}"><strong>{OUTLET_NAME}</strong>' in page
    rows = section(page, "sync-devices")
    assert OUTLET_NAME in rows and "sync-ok" not in page


def test_statistics_csv_in_chinese_with_percentages(hub):
    decided(hub)
    s = signed_in(hub, "op", "operator")
    got = s.get(f"{hub.url}/stats.csv", params={"by": "outlet"}, timeout=10)
    assert got.headers["Content-Type"].startswith("text/csv")
    assert got.content.startswith(b"\xef\xbb\xbf")  # spreadsheet programs read the Chinese
    rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["代办点", "名称", "已接收", "办结", "按时办结"]
    assert "按时办结率" in rows[0] and "满意率" in rows[0]
    rate = rows[0].index("按时办结率")
    assert rows[1][:3] == [OUTLET, f"{OUTLET} 代办点", "2"]
    assert rows[1][rate] == "100.0%"  # a percentage, not the fraction 1.0
    assert rows[-1][0] == "合计" and rows[-1][rate] == "100.0%"
    assert rows[1][rows[0].index("满意率")] == ""  # no ratings: no rate


def test_statistics_csv_in_english(hub):
    decided(hub)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/stats", timeout=10)
    s.post(f"{hub.url}/lang", data={"lang": "en", "csrf_token": token(page)}, timeout=10)
    got = s.get(f"{hub.url}/stats.csv", params={"by": "unit"}, timeout=10)
    rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["unit", "Group name", "Received", "Decided", "On time"]
    assert rows[1][rows[0].index("On-time rate")] == "100.0%"
    assert rows[-1][0] == "Total"


def test_the_api_csv_keeps_codes_and_fractions_for_scripts(hub):
    decided(hub)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('reader', 'operator')}"
    got = api.get(f"{hub.url}/api/v1/stats.csv", params={"by": "unit"}, timeout=10)
    rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["unit", "name", "received"]
    assert rows[1][rows[0].index("on_time_rate")] == "1.0"


def test_statistics_xlsx_has_the_rows_of_the_csv(hub):
    decided(hub)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/stats", params={"by": "outlet"}, timeout=10).text
    assert "/stats.xlsx?" in page and "/stats.csv?" in page  # both offered on the page
    got = s.get(f"{hub.url}/stats.xlsx", params={"by": "outlet"}, timeout=10)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in got.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    csv_rows = list(
        csv.reader(
            io.StringIO(
                s.get(f"{hub.url}/stats.csv", params={"by": "outlet"}, timeout=10).text.lstrip(
                    "\ufeff"
                )
            )
        )
    )

    def shown(cell) -> str:
        """The cell as a spreadsheet shows it: percentages formatted, numbers as written."""
        if cell.value is None:
            return ""
        if cell.number_format == "0.0%":
            return f"{cell.value * 100:.1f}%"
        return same(str(cell.value))

    def same(text: str) -> str:
        """A number as a number (a workbook keeps 0.0 as 0), anything else as it is."""
        try:
            return repr(float(text))
        except ValueError:
            return text

    rows = [[shown(c) for c in row] for row in sheet.iter_rows()]
    assert rows == [[same(v) for v in row] for row in csv_rows]
    rate = csv_rows[0].index("按时办结率") + 1
    cell = sheet.cell(row=2, column=rate)
    assert cell.value == 1 and cell.number_format == "0.0%"  # a number, shown as 100.0%
    assert isinstance(sheet.cell(row=2, column=3).value, int)


def test_the_exports_need_a_session_and_refuse_a_bad_period(hub):
    assert requests.get(f"{hub.url}/stats.xlsx", timeout=10).url.endswith(
        "/signin?next=/stats.xlsx"
    )
    s = signed_in(hub, "op", "operator")
    assert s.get(f"{hub.url}/stats.xlsx", params={"from": "x"}, timeout=10).status_code == 400


def test_the_dashboard_figures_are_the_domains(hub):
    """The page shows what hub.dashboard.figures computes (one function for every surface)."""
    decided(hub)
    db = hub.db()
    count = len(store.applications.queue(db, limit=500, offset=0)[0])
    db.close()
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10).text
    totals = page.split('data-testid="queue-totals"')[1].split("</tr>")[0]
    assert f"<strong>{count}</strong>" in totals


def test_the_api_answers_the_dashboard_figures_for_operators_only(hub):
    named_outlet(hub)
    decided(hub)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('reader', 'operator')}"
    got = api.get(f"{hub.url}/api/v1/stats/dashboard", timeout=10).json()
    assert got["ok"] is True and got["received_today"] == 2
    assert got["queue"]["states"] == list(STATES) and got["queue"]["total"] == 2
    routed = next(w for w in got["waiting"] if w["status"] == "routed")
    assert routed["oldest"]["outlet_name"] == OUTLET_NAME
    assert got["outlets"][OUTLET] == OUTLET_NAME
    officer = requests.Session()
    officer.headers["Authorization"] = f"Bearer {hub.user('li', 'officer', unit=UNIT)}"
    assert officer.get(f"{hub.url}/api/v1/stats/dashboard", timeout=10).status_code == 403
