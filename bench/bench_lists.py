"""List benchmark: per-page timings of the keyset lists, at the hub and at an outlet.

A hub is served on loopback (waitress, as in the end-to-end tests) with N applications put
straight into its store; ``GET /api/v1/applications`` is timed over HTTP as an operator and
as an officer, for the first page, a page deep in the list, the last page (reached by paging
there, and by the last-page cursor), and a search of each kind that finds the Nth
application. An agent store with the same N applications is timed likewise for its lists
(agent/store/local.py ``application_page``, ``attention_page``), in-process. Then the HTML
list pages themselves: the hub's queue over HTTP as a signed-in operator, and the outlet's
lists through its Flask app as a signed-in clerk.

Figures are printed (milliseconds, median of --repeat runs), not asserted; the issue's bound
is 200 ms a page at 1,000 applications each side.

    .venv/bin/python bench/bench_lists.py [--apps 1000] [--limit 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests

from agent.store import local
from agent.store import open_db as open_agent_db
from agent.store import write as agent_write
from hub.store import write
from sync import paging
from tests.hub import many_apps
from tests.support.served import Clock, served_hub


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def line(side: str, what: str, ms: float, note: str = "") -> None:
    print(f"  {side:<6} {what:<44} {ms:8.2f} ms  {note}")


def searches(app: many_apps.Made) -> list[tuple[str, str]]:
    """Each kind of search that finds ``app`` (first page timed; then paged to the end)."""
    return [
        ("receipt", app.receipt),
        ("receipt without check character", app.receipt[:-2]),
        ("receipt counter", app.receipt[5:-2]),
        ("phone tail", app.phone[-4:]),
        ("mobile number", app.phone),
        ("name (masked match)", app.name),
        ("surname", app.name[0]),
    ]


def bench_hub(apps: list[many_apps.Made], limit: int, repeat: int) -> None:
    nth = sorted(apps, key=lambda a: (a.at, a.id))[-1]
    with tempfile.TemporaryDirectory(prefix="daiban-bench-lists-") as tmp:
        with served_hub(Path(tmp) / "hub", Clock(many_apps.T0)) as hub:
            db = hub.db()
            with write(db):
                many_apps.into_hub(db, apps)
            db.execute("ANALYZE")
            db.close()
            session = requests.Session()
            for role, token in (
                ("operator", hub.user("bench-ops", "operator")),
                ("officer", hub.user("bench-officer", "officer", unit="HRSS-510107")),
            ):
                session.headers["Authorization"] = f"Bearer {token}"
                url = f"{hub.url}/api/v1/applications"

                def get(url: str = url, **params: Any) -> dict[str, Any]:
                    response = session.get(url, params=params, timeout=30)
                    response.raise_for_status()
                    body: dict[str, Any] = response.json()
                    return body

                print(f"hub API, {role}: GET /api/v1/applications, limit={limit}")
                ms, first = timed(lambda: get(limit=limit), repeat)
                line("hub", "first page", ms, f"total {first['total']}")
                # Page to the end, timing every page.
                cursor, times, pages = first["next_cursor"], [], 1
                body = first
                while cursor:
                    started = time.perf_counter()
                    body = get(limit=limit, cursor=cursor)
                    times.append((time.perf_counter() - started) * 1000)
                    cursor, pages = body["next_cursor"], pages + 1
                if times:
                    line(
                        "hub",
                        f"each next page ({pages - 1} pages), median",
                        statistics.median(times),
                    )
                    line("hub", "slowest next page", max(times))
                    line("hub", "the last page reached by paging", times[-1],
                         f"start {body['start']}, has the Nth: "
                         f"{nth.id in [a['id'] for a in body['applications']]}")  # fmt: skip
                last_number = max(-(-first["total"] // limit), 1)
                ms, by_number = timed(partial(get, per_page=limit, page=last_number), repeat)
                line("hub", "the last page by number (OFFSET)", ms, f"start {by_number['start']}")
                for what, q in searches(nth):
                    ms, found = timed(partial(get, limit=limit, q=q), repeat)
                    seen, cursor = [a["id"] for a in found["applications"]], found["next_cursor"]
                    while cursor:
                        more = get(limit=limit, q=q, cursor=cursor)
                        seen += [a["id"] for a in more["applications"]]
                        cursor = more["next_cursor"]
                    note = f"total {found['total']}, the Nth paged to: {nth.id in seen}"
                    line("hub", f"search: {what}", ms, note)


def bench_agent(apps: list[many_apps.Made], limit: int, repeat: int) -> None:
    nth = sorted(apps, key=lambda a: (a.at, a.id))[0]  # newest first: the Nth is the oldest
    with tempfile.TemporaryDirectory(prefix="daiban-bench-lists-") as tmp:
        db = open_agent_db(Path(tmp) / "agent.db")
        with agent_write(db):
            many_apps.into_agent(db, apps)
        db.execute("ANALYZE")
        print(f"agent store: local.application_page, limit={limit}")

        def read(**kw: Any) -> paging.Page[dict[str, Any]]:
            request = paging.PageRequest(
                cursor=kw.pop("cursor", None), limit=limit, q=kw.pop("q", "")
            )
            return local.application_page(db, request, **kw)

        ms, first = timed(read, repeat)
        line("agent", "first page", ms, f"total {first.total}")
        cursor, times, page = first.next_cursor, [], first
        while cursor:
            started = time.perf_counter()
            page = read(cursor=cursor)
            times.append((time.perf_counter() - started) * 1000)
            cursor = page.next_cursor
        if times:
            line("agent", f"each next page ({len(times)} pages), median", statistics.median(times))
            line("agent", "slowest next page", max(times))
            line("agent", "the last page reached by paging", times[-1],
                 f"has the Nth: {nth.id in [r['id'] for r in page.rows]}")  # fmt: skip
        ms, _ = timed(lambda: read(cursor=first.last_cursor), repeat)
        line("agent", "the last page by its cursor", ms)
        ms, pickup = timed(lambda: read(hub_status="ready_for_pickup"), repeat)
        line("agent", "pickup list (hub_status filter)", ms, f"total {pickup.total}")
        for what, q in searches(nth):
            ms, found = timed(partial(read, q=q), repeat)
            seen, cursor = [r["id"] for r in found.rows], found.next_cursor
            while cursor:
                more = read(q=q, cursor=cursor)
                seen += [r["id"] for r in more.rows]
                cursor = more.next_cursor
            note = f"total {found.total}, the Nth paged to: {nth.id in seen}"
            line("agent", f"search: {what}", ms, note)
        ms, attention = timed(
            lambda: local.attention_page(db, paging.PageRequest(limit=limit)), repeat
        )
        line("agent", "attention list, first page", ms, f"total {attention.total}")
        db.close()


def bench_pages(apps: list[many_apps.Made], repeat: int) -> None:
    """The HTML list pages as a browser asks for them: the hub's queue (served, signed in)
    and the outlet's lists (its Flask app, signed in), first page, last page, a search."""
    import re

    from agent.web import create_app
    from tests.agent.conftest import Agent
    from tests.agent.web.conftest import CLERK, Pages, add_staff
    from tests.hub.web.test_pages import signed_in

    nth = sorted(apps, key=lambda a: (a.at, a.id))[-1]
    with tempfile.TemporaryDirectory(prefix="daiban-bench-pages-") as tmp:
        with served_hub(Path(tmp) / "hub", Clock(many_apps.T0)) as hub:
            db = hub.db()
            with write(db):
                many_apps.into_hub(db, apps)
            db.close()
            s = signed_in(hub, "bench-pages", "operator")

            def page(path: str, **params: Any) -> str:
                response = s.get(f"{hub.url}{path}", params=params, timeout=30)
                response.raise_for_status()
                return response.text

            print("hub pages, operator: GET /queue")
            ms, first = timed(lambda: page("/queue"), repeat)
            line("hub", "queue, first page", ms)
            last = re.search(r'href="([^"]+)" data-testid="page-last"', first)
            if last:
                href = last.group(1).replace("&amp;", "&")
                ms, text = timed(lambda: page(href), repeat)
                line(
                    "hub",
                    "queue, last page (by its link)",
                    ms,
                    f"has the Nth: {nth.receipt in text}",
                )
            ms, text = timed(lambda: page("/queue", q=nth.receipt), repeat)
            line("hub", "queue, search by receipt", ms, f"found: {nth.receipt in text}")

            agent = Agent(Path(tmp) / "agent", hub, "PO-WUHOU-01")
            add_staff(agent)
            with agent_write(agent.db):
                many_apps.into_agent(agent.db, apps)
            with create_app(agent.home, {"TESTING": True}).test_client() as client:
                clerk = Pages(client)
                clerk.sign_in()
                first_agent = apps[0]  # newest first: the first captured is the last shown
                print(f"outlet pages, {CLERK}: GET /applications, /, /pickup")
                ms, body = timed(lambda: clerk.text("/applications"), repeat)
                line("agent", "all applications, first page", ms)
                last = re.search(r'href="([^"]+)" data-testid="page-last"', body)
                if last:
                    href = last.group(1).replace("&amp;", "&")
                    ms, text = timed(lambda: clerk.text(href), repeat)
                    line("agent", "all applications, last page", ms,
                         f"has the 1,000th shown: {first_agent.receipt in text}")  # fmt: skip
                ms, text = timed(
                    lambda: clerk.text(f"/applications?q={first_agent.phone[-4:]}"), repeat
                )
                line("agent", "search by phone tail", ms, f"found: {first_agent.receipt in text}")
                for path in ("/", "/pickup", "/attention"):
                    ms, _ = timed(partial(clerk.text, path), repeat)
                    line("agent", f"page {path}", ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000, help="applications each side")
    parser.add_argument("--limit", type=int, default=50, help="applications a page")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing (median)")
    args = parser.parse_args()
    apps = many_apps.made(args.apps)
    print(f"{args.apps} applications at the hub and at an outlet\n")
    bench_hub(apps, args.limit, args.repeat)
    print()
    bench_agent(apps, args.limit, args.repeat)
    print()
    bench_pages(apps, args.repeat)


if __name__ == "__main__":
    main()
