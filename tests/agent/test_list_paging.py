"""The outlet's lists by keyset (agent/store/local.py ``application_page``,
``attention_page``): 1,000 applications paged to the end and found by each kind of search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from agent.store import local, open_db, write
from sync import paging
from sync.paging import BadCursor, BadSearch, PageRequest
from tests.hub import many_apps

APPS = many_apps.made(1000)
NEWEST_FIRST = sorted(APPS, key=lambda a: (a.at, a.id), reverse=True)
ROWS = {a.id: many_apps.agent_row(a, n) for n, a in enumerate(APPS)}
LAST = APPS[-1]  # the 1,000th captured: the first shown (newest first)
FIRST = APPS[0]  # the first captured: the 1,000th shown


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("agent-lists") / "agent.db"
    agent_db = open_db(path)
    with write(agent_db):
        many_apps.into_agent(agent_db, APPS)
        # A supplement asked for, a returned mail already noted (its application's own
        # 'returned' item is then not listed twice), and a refused record of no application.
        local.add_attention(
            agent_db,
            application=APPS[5].id,
            record_id=APPS[5].id,
            kind="supplement",
            reasons=[{"message": "补充材料", "materials": ["PHOTO"]}],
            body=None,
            now=many_apps.T0 + 10,
        )
        local.add_attention(
            agent_db,
            application=APPS[9].id,
            record_id=APPS[9].id,
            kind="returned",
            reasons=[{"message": "退回"}],
            body=None,
            now=many_apps.T0 + 20,
        )
        local.add_attention(
            agent_db,
            application=None,
            record_id="0199ffff-0000-7000-8000-000000000000",
            kind="rejected",
            reasons=[{"message": "bad record"}],
            body=b"x",
            now=many_apps.T0 + 30,
        )
    yield agent_db
    agent_db.close()


def page(db: Database, fn: Any = local.application_page, **kw: Any) -> paging.Page[Any]:
    request = PageRequest(
        cursor=kw.pop("cursor", None), limit=kw.pop("limit", 50), q=kw.pop("q", "")
    )
    found = fn(db, request, **kw)
    return found


def every_page(db: Database, fn: Any = local.application_page, **kw: Any) -> list[Any]:
    pages, cursor = [], None
    while True:
        found = page(db, fn, cursor=cursor, **kw)
        pages.append(found)
        if found.next_cursor is None:
            return pages
        cursor = found.next_cursor


def ids(pages: list[Any]) -> list[str]:
    return [row["id"] for p in pages for row in p.rows]


def test_paging_reaches_the_1000th_application_newest_first(db):
    pages = every_page(db, limit=50)
    assert ids(pages) == [a.id for a in NEWEST_FIRST]
    assert pages[-1].rows[-1]["id"] == FIRST.id and pages[-1].last_shown == 1000
    assert all(p.total == 1000 for p in pages)
    assert pages[0].rows[0]["id"] == LAST.id
    last = page(db, cursor=pages[0].last_cursor, limit=50)
    assert last.rows[-1]["id"] == FIRST.id and last.start == 950
    before = page(db, cursor=last.prev_cursor, limit=50)
    assert [r["id"] for r in before.rows] == [a.id for a in NEWEST_FIRST[900:950]]


def test_the_lists_of_the_pages_filter_with_their_totals(db):
    for filters in (
        {"sync_state": "rejected"},
        {"hub_status": "ready_for_pickup"},
        {"sync_state": "sent", "hub_status": "routed"},
        {"item": "TP-FINE"},
        {"staff": "runner-02"},
    ):
        expected = [
            a.id for a in NEWEST_FIRST if all(ROWS[a.id][k] == v for k, v in filters.items())
        ]
        pages = every_page(db, limit=40, **filters)
        assert ids(pages) == expected, filters
        assert pages[0].total == len(expected)
    since = APPS[900].at
    today = every_page(db, since=since, limit=30)
    assert ids(today) == [a.id for a in NEWEST_FIRST if a.at >= since]


@pytest.mark.parametrize(
    ("how", "q"),
    [
        ("whole receipt", FIRST.receipt),
        ("receipt without its check character", FIRST.receipt[:-2]),
        ("receipt tag", FIRST.receipt[:4]),
        ("receipt counter", FIRST.receipt[5:-2]),
        ("phone tail", FIRST.phone[-4:]),
        ("mobile number", FIRST.phone),
        ("name", FIRST.name),
        ("surname", FIRST.name[0]),
    ],
)
def test_the_1000th_is_found_by_each_kind_of_search(db, how, q):
    pages = every_page(db, q=q, limit=50)
    found = ids(pages)
    assert FIRST.id in found, how
    assert pages[0].total == len(found) == len(set(found))
    if how in ("whole receipt", "phone tail", "mobile number"):
        assert found == [FIRST.id]


def test_a_bad_cursor_or_search_is_refused(db):
    with pytest.raises(BadCursor):
        page(db, cursor="nope")
    rejected = page(db, sync_state="rejected", limit=5)
    with pytest.raises(BadCursor):
        page(db, cursor=rejected.next_cursor, sync_state="queued")
    with pytest.raises(BadSearch):
        page(db, q="@@")


# --- the attention list ----------------------------------------------------------------------


def expected_attention() -> list[tuple[str, str | None]]:
    """(source, application) of every item, as agent/web/views.py attention_items has them."""
    items = [
        ("attention", APPS[5].id),
        ("attention", APPS[9].id),
        ("attention", None),
    ]
    for a in APPS:
        if ROWS[a.id]["hub_status"] == "rejected":
            items.append(("dept_rejected", a.id))
        if ROWS[a.id]["hub_status"] == "returned" and a.id != APPS[9].id:
            items.append(("returned", a.id))
    return items


def test_the_attention_list_pages_through_every_item_once(db):
    pages = every_page(db, local.attention_page, limit=25)
    rows = [r for p in pages for r in p.rows]
    got = [(r["source"], r["app"]["id"] if r["app"] else "") for r in rows]
    assert sorted(got) == sorted((source, app or "") for source, app in expected_attention())
    assert all(p.total == len(rows) for p in pages)
    assert [(r["at"], r["key"]) for r in rows] == sorted((r["at"], r["key"]) for r in rows)
    supplement = next(r for r in rows if r["kind"] == "supplement")
    assert supplement["reasons"] == [{"message": "补充材料", "materials": ["PHOTO"]}]
    assert supplement["app"]["receipt"] == APPS[5].receipt
    orphan = next(r for r in rows if r["kind"] == "rejected")
    assert orphan["app"] is None and orphan["record_id"].startswith("0199ffff")
    assert APPS[9].id not in [r["app"]["id"] for r in rows if r["source"] == "returned"]


def test_the_attention_list_is_searched_by_its_applications(db):
    rejected = next(a for a in reversed(APPS) if ROWS[a.id]["hub_status"] == "rejected")
    found = page(db, local.attention_page, q=rejected.receipt)
    assert [(r["source"], r["app"]["id"]) for r in found.rows] == [("dept_rejected", rejected.id)]
    assert found.total == 1
    found = page(db, local.attention_page, q=APPS[5].phone[-4:])
    assert [r["kind"] for r in found.rows] == ["supplement"]
