"""The hub's lists by keyset: 1,000 applications paged to the end and found by each kind of
search, in the store (hub/store/applications.py ``application_page``) and over a served hub's
``GET /api/v1/applications`` (cursor, limit, q; page/per_page still)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlite_utils import Database

from hub import store
from hub.store import open_db, write
from sync import paging
from sync.paging import BadCursor, BadSearch, PageRequest
from tests.hub import many_apps
from tests.hub.conftest import MONDAY_10AM
from tests.support.served import Clock, ServedHub, served_hub

APPS = many_apps.made(1000)
IN_ORDER = sorted(APPS, key=lambda a: (a.at, a.id))
LAST = IN_ORDER[-1]  # the 1,000th to arrive


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("lists") / "hub.db"
    hub_db = open_db(path)
    with write(hub_db):
        many_apps.into_hub(hub_db, APPS)
    yield hub_db
    hub_db.close()


def page(db: Database, **kw: Any) -> paging.Page[dict[str, Any]]:
    request = PageRequest(
        cursor=kw.pop("cursor", None), limit=kw.pop("limit", 50), q=kw.pop("q", "")
    )
    found = store.applications.application_page(db, request, **kw)
    return found


def every_page(db: Database, **kw: Any) -> list[paging.Page[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        found = page(db, cursor=cursor, **kw)
        pages.append(found)
        if found.next_cursor is None:
            return pages
        cursor = found.next_cursor


def ids(pages: list[paging.Page[dict[str, Any]]]) -> list[str]:
    return [row["id"] for p in pages for row in p.rows]


def test_paging_reaches_the_1000th_application_in_arrival_order(db):
    pages = every_page(db, limit=50)
    assert ids(pages) == [a.id for a in IN_ORDER]
    assert [p.start for p in pages] == list(range(0, 1000, 50))
    assert all(p.total == 1000 for p in pages)
    assert pages[-1].rows[-1]["id"] == LAST.id and pages[-1].last_shown == 1000
    assert pages[0].prev_cursor is None and all(p.prev_cursor for p in pages[1:])


def test_the_last_cursor_and_the_previous_pages(db):
    first = page(db, limit=50)
    last = page(db, cursor=first.last_cursor, limit=50)
    assert last.rows[-1]["id"] == LAST.id and last.start == 950 and last.next_cursor is None
    before = page(db, cursor=last.prev_cursor, limit=50)
    assert [r["id"] for r in before.rows] == [a.id for a in IN_ORDER[900:950]]
    assert before.start == 900


def test_newest_first_starts_with_the_1000th(db):
    found = page(db, limit=10, newest_first=True)
    assert [r["id"] for r in found.rows] == [a.id for a in reversed(IN_ORDER[-10:])]
    deeper = page(db, cursor=found.next_cursor, limit=10, newest_first=True)
    assert [r["id"] for r in deeper.rows] == [a.id for a in reversed(IN_ORDER[-20:-10])]


def test_filters_page_with_their_own_totals(db):
    routed = [a.id for a in IN_ORDER if a.status == "routed" and a.item == "MI-PAY"]
    pages = every_page(db, limit=20, status="routed", item="MI-PAY", unit="HRSS-510107")
    assert ids(pages) == routed and pages[0].total == len(routed)
    triage = every_page(db, limit=100, status="triage")
    assert ids(triage) == [a.id for a in IN_ORDER if a.status == "triage"]
    assert page(db, unit="OTHER-UNIT").total == 0
    assert page(db, outlet="PO-WUHOU-01").total == 1000


@pytest.mark.parametrize(
    ("how", "q"),
    [
        ("whole receipt", LAST.receipt),
        ("receipt without its check character", LAST.receipt[:-2]),
        ("receipt without dashes", LAST.receipt.replace("-", "")),
        ("receipt counter", LAST.receipt[5:-2]),
        ("phone tail", LAST.phone[-4:]),
        ("mobile number", LAST.phone),
        ("name", LAST.name),
        ("surname", LAST.name[0]),
        ("surname and phone tail", f"{LAST.name[0]} {LAST.phone[-4:]}"),
    ],
)
def test_the_1000th_is_found_by_each_kind_of_search(db, how, q):
    pages = every_page(db, q=q, limit=50)
    found = ids(pages)
    assert LAST.id in found, how
    assert pages[0].total == len(found)
    matching = [a for a in IN_ORDER if a.id in set(found)]
    assert found == [a.id for a in matching]  # in arrival order, each once
    if how in ("whole receipt", "receipt without dashes", "phone tail", "mobile number"):
        assert found == [LAST.id]


def test_a_name_search_matches_the_masked_copy_only(db):
    masked = {a.id for a in APPS if a.name[0] == LAST.name[0] and len(a.name) == len(LAST.name)}
    assert set(ids(every_page(db, q=LAST.name, limit=100))) == masked
    assert len(masked) > 1  # what the hub keeps cannot tell these apart


def test_search_and_filters_combine(db):
    q = LAST.name[0]
    expected = [a.id for a in IN_ORDER if a.name[0] == q and a.status == LAST.status]
    assert ids(every_page(db, q=q, status=LAST.status, limit=30)) == expected


def test_a_bad_cursor_or_search_is_refused_naming_it(db):
    with pytest.raises(BadCursor):
        page(db, cursor="not-a-cursor")
    routed = page(db, status="routed", limit=5)
    with pytest.raises(BadCursor):  # a cursor of another list
        page(db, cursor=routed.next_cursor, status="accepted")
    with pytest.raises(BadSearch):
        page(db, q="@@")


def test_page_by_number_still_works_and_gives_keyset_cursors(db):
    third = page(db, limit=50, offset=100)
    assert [r["id"] for r in third.rows] == [a.id for a in IN_ORDER[100:150]]
    assert third.start == 100 and third.prev_cursor
    fourth = page(db, cursor=third.next_cursor, limit=50)
    assert [r["id"] for r in fourth.rows] == [a.id for a in IN_ORDER[150:200]]
    rows, total = store.applications.queue(db, status="triage", limit=500)
    assert total == len(rows) == sum(1 for a in APPS if a.status == "triage")


def test_the_pages_are_index_ranges(db):
    """The queries of a deep page use the (filter, received_at, id) indexes, never a sort of
    the whole table: what keeps a page flat as the table grows."""
    plans = []
    for sql, args in [
        (
            "SELECT * FROM applications WHERE unit = ? AND status = ?"
            " AND (received_at, id) > (?, ?) ORDER BY received_at, id LIMIT 51",
            ["HRSS-510107", "routed", 1, "x"],
        ),
        (
            "SELECT * FROM applications WHERE (received_at, id) < (?, ?)"
            " ORDER BY received_at DESC, id DESC LIMIT 51",
            [1, "x"],
        ),
        (
            "SELECT * FROM applications WHERE substr(json_extract(applicant_masked, '$.phone'),"
            " -4) = ? AND (received_at, id) > (?, ?) ORDER BY received_at, id LIMIT 51",
            ["1234", 1, "x"],
        ),
    ]:
        plan = " ".join(r[-1] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))
        plans.append(plan)
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan


# --- over a served hub -----------------------------------------------------------------------


@contextmanager
def hub_with_apps(folder: Path) -> Iterator[ServedHub]:
    """A real hub served on loopback, holding the 1,000 applications."""
    with served_hub(folder, Clock(MONDAY_10AM)) as hub:
        hub_db = hub.db()
        with write(hub_db):
            many_apps.into_hub(hub_db, APPS)
        hub_db.close()
        yield hub


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    with hub_with_apps(tmp_path_factory.mktemp("served") / "hub") as hub:
        yield hub


TOKENS: dict[str, str] = {}


def operator(hub: ServedHub) -> str:
    """One operator's token for the tests that only read."""
    if hub.url not in TOKENS:
        TOKENS[hub.url] = hub.user("ops-refused", "operator")
    return TOKENS[hub.url]


def api(hub: ServedHub, token: str, **params: Any) -> requests.Response:
    response = requests.get(
        f"{hub.url}/api/v1/applications",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return response


def test_the_api_pages_to_the_end_with_cursors(served):
    token = served.user("ops-paging", "operator")
    seen, cursor, answers = [], None, []
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = api(served, token, **params).json()
        answers.append(body)
        seen += [a["id"] for a in body["applications"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [a.id for a in IN_ORDER]
    assert [b["start"] for b in answers] == list(range(0, 1000, 100))
    assert [b["page"] for b in answers] == list(range(1, 11))
    assert all(b["total"] == 1000 and b["per_page"] == 100 for b in answers)
    assert answers[0]["prev_cursor"] is None and answers[-1]["prev_cursor"]
    back = api(served, token, limit=100, cursor=answers[-1]["prev_cursor"]).json()
    assert [a["id"] for a in back["applications"]] == [a.id for a in IN_ORDER[800:900]]


def test_the_api_finds_the_1000th_by_search(served):
    token = served.user("ops-search", "operator")
    for q in (LAST.receipt, LAST.receipt[:-2], LAST.phone[-4:]):
        body = api(served, token, q=q).json()
        assert [a["id"] for a in body["applications"]] == [LAST.id], q
        assert body["total"] == 1 and body["next_cursor"] is None
    body = api(served, token, q=LAST.name, limit=500).json()
    assert LAST.id in [a["id"] for a in body["applications"]]
    assert body["applications"][0]["applicant"]["name"] == LAST.name[0] + "*" * (len(LAST.name) - 1)


def test_an_officer_pages_its_own_unit_only(served):
    token = served.user("wang", "officer", unit="HRSS-510107")
    mine = [a.id for a in IN_ORDER if a.status != "triage"]
    body = api(served, token, unit="OTHER", limit=500).json()
    assert body["total"] == len(mine)
    rest = api(served, token, limit=500, cursor=body["next_cursor"]).json()
    assert [a["id"] for a in body["applications"] + rest["applications"]] == mine
    assert rest["next_cursor"] is None


def test_the_api_keeps_page_and_per_page(served):
    token = served.user("ops-numbers", "operator")
    body = api(served, token, page=3, per_page=40).json()
    assert (body["page"], body["per_page"], body["start"], body["total"]) == (3, 40, 80, 1000)
    assert [a["id"] for a in body["applications"]] == [a.id for a in IN_ORDER[80:120]]
    after = api(served, token, per_page=40, cursor=body["next_cursor"]).json()
    assert [a["id"] for a in after["applications"]] == [a.id for a in IN_ORDER[120:160]]
    assert after["page"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "x" * 5000}, "cursor"),
        ({"q": "@@"}, "q"),
        ({"q": "2A7K-000042-Z"}, "q"),
        ({"q": "x" * 200}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"page": "2", "cursor": "abc"}, "page"),
    ],
)
def test_the_api_refuses_a_bad_cursor_search_or_limit_naming_it(served, params, field):
    response = api(served, operator(served), **params)
    assert response.status_code == 400
    body = response.json()
    assert (body["ok"], body["code"], body["field"], body["status"]) == (
        False,
        "invalid",
        field,
        400,
    )


def test_a_cursor_of_other_filters_is_refused(served):
    token = operator(served)
    routed = api(served, token, status="routed", limit=5).json()
    response = api(served, token, status="accepted", cursor=routed["next_cursor"])
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"
