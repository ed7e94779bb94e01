"""One sync round: push the outbox, upload scans, pull the outlet's feed.

When there is something to push, the round first catches up with the feed (one try), so that
each acknowledgement can bring the feed records its batch made (the new applications'
statuses) right after the saved cursor; the pull at the end then has little or nothing left.

Rules that keep a citizen's data safe on a bad network:
* A batch is written to ``inflight`` before it is sent and re-sent byte for byte until an
  acknowledgement whose hub signature verifies comes back; only then are its outbox entries
  forgotten, and only those the hub reports accepted or duplicate.
* A refused record leaves the outbox for the attention list, with the hub's reasons; it never
  blocks the records behind it.
* Each pulled page is applied in one transaction together with the cursor it moves to, so a
  cut between pages loses nothing and applies nothing twice; feed records that come with an
  acknowledgement are applied in the acknowledgement's transaction, with their cursor.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec
from sqlite_utils import Database

from sync import records as r
from sync.batch import MAX_RECORDS, TARGET_BATCH_BYTES, encode_raw_batch
from sync.ids import uuid7
from sync.replies import SETTLED, Ack, FeedPage, state_digest

from .capture import catalogue_items
from .client import HubClient, HubRefused, HubUnavailable
from .home import Home
from .store import local, meta, one_checkpoint, outbox, write

QUERY_DIGESTS = 1000  # scans asked about per query (the hub takes up to 5,000)
CHUNK = 256 * 1024  # scan upload chunk: small enough to finish on a weak 3G link
SCAN_SENDERS = 2  # scans on their way at once
OUTSTANDING = 3  # batches made and not yet acknowledged: two on the wire, one being made
PULL_PAGE = 2000  # records per pull page: the most the hub gives (fewer round trips)
MAX_PAGES = 10_000  # bounded pull loop: a feed longer than this is a bug, not a backlog

Progress = Callable[[str, int, int], None]


@dataclass
class SyncResult:
    pushed: int = 0
    settled: int = 0
    refused: int = 0
    pulled: int = 0
    uploaded: int = 0
    resynced: bool = False
    attention: int = 0
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    notes: list[str] = field(default_factory=list)


def _noop(stage: str, done: int, total: int) -> None:
    return None


def heartbeat(db: Database, version: str) -> dict[str, Any]:
    """What every request reports to the hub: agent version, backlog, refused count."""
    return {
        "agent": version,
        "unsent": outbox.count(db),
        "quarantined": len(local.open_attention(db)),
    }


# --- push ---------------------------------------------------------------------------------


def _apply_ack(
    db: Database,
    ack: Ack,
    record_ids: list[str],
    now_ms: int,
    result: SyncResult,
    rows: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Forget settled outbox entries; move refused ones to the attention list.

    ``rows``: the outbox entries of the batch by record id, when the caller still holds them
    from building it (otherwise they are read again).
    """
    by_index = {res.index: res for res in ack.results}
    settled, refused = [], []
    for index, record_id in enumerate(record_ids):
        res = by_index.get(index)
        if res is None or res.id not in (record_id, None):
            continue  # not reported: it stays in the outbox and goes again
        if res.status in SETTLED:
            settled.append(record_id)
        else:
            refused.append((record_id, res))
    # Not waiting for the disk: if this is lost, the batch goes again and is a duplicate.
    with write(db, durable=False):
        if rows is None:
            rows = outbox.rows(db, record_ids)
        created = [i for i in settled if rows.get(i, {}).get("kind") == "application.create"]
        feed = ack.feed
        if feed is not None and int(meta.get(db, "cursor", 0)) != feed.after:
            feed = None  # not right after what this device has: pulled later instead
        # With feed records, the status they bring sets 'sent' too: one update per row.
        local.mark_sent(db, created, now=now_ms, state=feed is None)
        for record_id, res in refused:
            row = rows.get(record_id)
            reasons = [msgspec.to_builtins(x) for x in res.reasons]
            application = row["application"] if row else None
            local.add_attention(
                db,
                application=application,
                record_id=record_id,
                kind=res.status,
                reasons=reasons,
                body=row["body"] if row else None,
                now=now_ms,
            )
            if row and row["kind"] == "application.create":
                local.update_application(db, record_id, sync_state=res.status, updated_at=now_ms)
            if application:
                local.add_timeline(
                    db,
                    application=application,
                    at=now_ms,
                    source="hub",
                    event=f"{res.status} by hub",
                    detail="; ".join(x.message for x in res.reasons),
                )
        outbox.remove(db, settled + [x[0] for x in refused])
        outbox.clear_inflight(db, ack.batch)
        if feed is not None:
            # The feed records this batch made, right after what this device last pulled:
            # applied as the page they would have come in, with the cursor they move to.
            updated = _apply_records(db, feed.records, now_ms)
            local.set_sent(db, [i for i in created if i not in updated], now=now_ms)
            meta.put(db, "cursor", feed.cursor)
            result.pulled += len(feed.records)
    result.settled += len(settled)
    result.refused += len(refused)


def _send(
    db: Database,
    client: HubClient,
    batch_id: str,
    frame: bytes,
    record_ids: list[str],
    now_ms: Callable[[], int],
    result: SyncResult,
) -> None:
    ack = client.push(frame, feed=True)
    _settle(db, ack, batch_id, record_ids, now_ms, result)


def _settle(
    db: Database,
    ack: Ack,
    batch_id: str,
    record_ids: list[str],
    now_ms: Callable[[], int],
    result: SyncResult,
    rows: dict[str, dict[str, Any]] | None = None,
) -> None:
    if ack.batch != batch_id:
        raise ValueError("the hub acknowledged another batch")  # signed, so a hub bug
    _apply_ack(db, ack, record_ids, now_ms(), result, rows)
    result.pushed += len(record_ids)


class _Sender:
    """Sends frames in order, each naming the one before it, up to two on the wire at once.

    The hub checks and decodes a batch while it applies the one before, and applies them in
    the order they name (``after``), whatever order they arrive in. Two at once only to a
    hub that says it keeps that order, and only while pushes are quick: on a slow link two
    uploads share the bandwidth and gain nothing, and the second could finish first and be
    refused as out of turn (its bytes sent twice). Otherwise each frame waits for the
    answer to the one before it. Once a send fails, the frames queued behind it are not
    sent; those already on the wire are held back by the hub until their predecessor is
    applied, or refused. All stay in flight for the next round.
    """

    WORKERS = 2
    SLOW_PUSH_S = 1.0  # slower than this, a push has nothing to gain from company

    def __init__(self, client: HubClient) -> None:
        self.client = client
        self.pool = ThreadPoolExecutor(self.WORKERS, thread_name_prefix="daiban-push")
        self.failed = False
        self.last_push_s: float | None = None  # one at a time until a push was timed

    def pipelining(self) -> bool:
        last = self.last_push_s
        return self.client.orders_pushes and last is not None and last <= self.SLOW_PUSH_S

    def window(self) -> int:
        """Batches to keep made and not yet acknowledged."""
        return OUTSTANDING if self.pipelining() else 2  # else: one travels, one is made

    def submit(
        self, frame: bytes, heartbeat: dict[str, Any], after: str | None, before: Future[Ack] | None
    ) -> Future[Ack]:
        """Send ``frame`` (made after ``before``, the future of the frame named ``after``)."""
        return self.pool.submit(self._push, frame, heartbeat, after, before)

    def _push(
        self, frame: bytes, heartbeat: dict[str, Any], after: str | None, before: Future[Ack] | None
    ) -> Ack:
        if before is not None and not self.pipelining():
            wait([before])  # the other worker runs it: it started before this one
        if self.failed:
            raise _NotSent("an earlier batch of this round was not acknowledged")
        started = time.monotonic()
        try:
            ack = self.client.push(frame, heartbeat=heartbeat, feed=True, after=after)
        except BaseException as exc:
            # An overtaking batch refused is sent again once the one before it is
            # acknowledged; those behind it may go: the hub holds them back as it did it.
            if not _out_of_turn(exc):
                self.failed = True
            raise
        self.last_push_s = time.monotonic() - started
        return ack

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class _NotSent(Exception):
    """A queued frame left unsent because the one before it failed."""


def _out_of_turn(exc: BaseException) -> bool:
    """The hub refused a batch only because the one it follows had not arrived yet."""
    return isinstance(exc, HubRefused) and exc.code == "batch.out_of_order"


@dataclass
class _Outstanding:
    batch_id: str
    frame: bytes
    record_ids: list[str]
    last_seq: int  # outbox seq of its newest record: the next batch starts after it
    ack: Future[Ack]
    rows: dict[str, dict[str, Any]]  # its outbox entries by record id


def push(
    db: Database,
    client: HubClient,
    result: SyncResult,
    *,
    now_ms: Callable[[], int],
    progress: Progress,
    max_bytes: int = TARGET_BATCH_BYTES,
) -> None:
    """Send the outbox, oldest first, in bounded batches (batches in flight go first)."""
    for stale in outbox.inflights(db):  # sent in an earlier round, answer not seen: in order
        _send(db, client, stale["batch"], stale["frame"], stale["records"], now_ms, result)
    total = outbox.count(db)
    done = 0
    previous: str | None = None  # the batch the next one follows
    sender = _Sender(client)
    outstanding: deque[_Outstanding] = deque()
    try:
        for _ in range(2 * total + 1):  # bounded: a batch is made in one turn, settled in one
            after = outstanding[-1].last_seq if outstanding else 0
            rows = outbox.pending(db, limit=MAX_RECORDS, after=after)
            if rows:
                group: list[dict[str, Any]] = []
                size = 0
                for row in rows:  # oldest first, within the byte bound
                    if group and size + len(row["body"]) > max_bytes:
                        break
                    group.append(row)
                    size += len(row["body"])
                device = meta.get(db, "device")
                batch_id = uuid7(now_ms(), os.urandom(10))
                ids = [row["record_id"] for row in group]
                # Not waiting for the disk: if this is lost, the records are still in the
                # outbox and go again in a new batch (the hub answers duplicate for those it
                # applied).
                with write(db, durable=False):
                    seq = meta.next_counter(db, "batch_seq")
                    # Outbox bodies are canonical already: framed as they are, never re-encoded.
                    frame = encode_raw_batch(
                        device=device["device_id"],
                        batch_id=batch_id,
                        seq=seq,
                        sent_at=now_ms(),
                        bodies=[row["body"] for row in group],
                    )
                    outbox.set_inflight(
                        db, batch=batch_id, seq=seq, frame=frame, records=ids, now=now_ms()
                    )
                # Written in flight first, then sent: a cut from here on re-sends these bytes.
                before = outstanding[-1].ack if outstanding else None
                future = sender.submit(frame, client.heartbeat(), previous, before)
                previous = batch_id
                by_id = {row["record_id"]: row for row in group}
                outstanding.append(
                    _Outstanding(batch_id, frame, ids, group[-1]["seq"], future, by_id)
                )
            if not outstanding:
                return
            if rows and len(outstanding) < sender.window():
                continue  # prepare the next batch while those before it are on their way
            sent = outstanding.popleft()
            try:
                ack = sent.ack.result()
            except HubRefused as exc:
                if not _out_of_turn(exc):
                    raise
                # It overtook the one before it, which is acknowledged now: send it again.
                ack = client.push(sent.frame, feed=True)
            _settle(db, ack, sent.batch_id, sent.record_ids, now_ms, result, sent.rows)
            done += len(sent.record_ids)
            progress("push", min(done, total), total)
    finally:
        # After a failure (or Ctrl-C), a batch still outstanding is sent to its end or not
        # at all; either way it stays in flight and goes first, byte for byte, in the next
        # round. Those not yet started are not sent: a finished round has none left.
        sender.failed = True
        sender.close()


# --- scans --------------------------------------------------------------------------------


class ScanMissing(Exception):
    """A scan the hub lacks whose sealed file is no longer on the laptop."""


def _chunk(home: Home, sha: str, offset: int) -> bytes:
    try:
        with open(home.scan_path(sha), "rb") as source:
            source.seek(offset)
            return source.read(CHUNK)
    except FileNotFoundError:
        raise ScanMissing(f"scan {sha[:12]} is not at the hub and its file is gone") from None


def _upload(
    home: Home, client: HubClient, scan: dict[str, Any], offset: int, beat: dict[str, Any]
) -> None:
    """Send one scan from ``offset`` on, a chunk at a time (on an upload thread), until the
    hub says it holds all of it. An offset at the end is not enough: only the hub's
    ``complete`` (the bytes checked against the digest) lets the scan go, so a last chunk the
    hub wrote but did not finish is finished by an empty one. The file is read only for
    bytes the hub asks for: a scan the hub holds is confirmed even if its file is gone."""
    sha, total = scan["sha256"], scan["size"]
    for _ in range(total // CHUNK + 4):  # bounded: one turn per chunk, plus resumes
        if not 0 <= offset <= total:
            raise HubUnavailable(f"the hub's offset {offset} lies outside scan {sha[:12]}")
        chunk = b"" if offset == total else _chunk(home, sha, offset)
        offset, complete = client.upload_chunk(sha, offset, total, chunk, heartbeat=beat)
        if complete:
            if offset != total:
                raise HubUnavailable(f"the hub says scan {sha[:12]} is complete at {offset}")
            return
    raise HubUnavailable(f"the upload of scan {sha[:12]} made no progress; try again")


def upload_scans(
    db: Database, home: Home, client: HubClient, result: SyncResult, *, progress: Progress
) -> None:
    """Upload the scans the hub lacks, resuming each where the hub's copy stopped.

    ``SCAN_SENDERS`` scans are on their way at once: one scan's request is answered while
    the next one's travels, and the hub writes one while it receives the other. Each is
    marked uploaded here, in order, only once the hub has all of it.
    """
    waiting = local.scans_to_upload(db)
    if not waiting:
        return
    missing: dict[str, int] = {}
    for at in range(0, len(waiting), QUERY_DIGESTS):  # the hub answers up to 5,000 at once
        missing |= client.missing_scans([s["sha256"] for s in waiting[at : at + QUERY_DIGESTS]])
    beat = client.heartbeat()  # read here: the database belongs to this thread
    with ThreadPoolExecutor(SCAN_SENDERS, thread_name_prefix="daiban-scan") as pool:
        # A scan the hub did not list is confirmed with one empty chunk at its end before it
        # is let go: it costs a request only when the hub already holds the scan.
        sending = [
            pool.submit(_upload, home, client, s, missing.get(s["sha256"], s["size"]), beat)
            for s in waiting
        ]
        try:
            for done, (scan, upload) in enumerate(zip(waiting, sending, strict=True), 1):
                try:
                    upload.result()
                except ScanMissing as exc:
                    # Said every round until someone looks; the rest still go, and the pull.
                    result.notes.append(str(exc))
                    continue
                if scan["sha256"] in missing:
                    result.uploaded += 1
                # Not waiting for the disk: if this is lost, the next round asks the hub,
                # which has the scan, and marks it again.
                with write(db, durable=False):
                    local.scan_uploaded(db, scan["sha256"])
                # The hub holds it now; the laptop keeps nothing it does not need.
                home.scan_path(scan["sha256"]).unlink(missing_ok=True)
                progress("scans", done, len(waiting))
        except BaseException:
            for upload in sending:  # the rest wait for the next round
                upload.cancel()
            raise


# --- pull ---------------------------------------------------------------------------------


def _material_names(db: Database, app_id: str, codes: Iterable[str]) -> list[str]:
    """The materials' names from the catalogue (the clerk reads 近期免冠白底证件照, not PHOTO)."""
    app = local.get_application(db, app_id)
    item = catalogue_items(db).get(app["item"]) if app else None
    names = {m.code: m.name for m in item.materials} if item else {}
    return [names.get(code, code) for code in codes]


def _apply_record(db: Database, record: r.DownlinkRecord, now_ms: int) -> None:
    if isinstance(record, r.StatusChanged):
        local.note_version(db, record.application, record.version)
        app = local.get_application(db, record.application)
        if app is None:
            return  # captured on another device of this outlet
        if app["hub_version"] is not None and app["hub_version"] > record.version:
            return  # an older change arriving late changes nothing
        local.update_application(
            db,
            record.application,
            hub_status=record.status,
            hub_version=record.version,
            unit=record.unit,
            due_date=record.due_date,
            due_provisional=int(record.due_provisional),
            sync_state="sent",
            updated_at=now_ms,
        )
        if record.status == "rejected":  # the refusal's reason, for staff to read out
            local.set_refusals(db, [(record.note, record.application)])  # the first one stays
        detail = " ".join(
            x
            for x in (
                record.unit or "",
                record.note,
            )
            if x
        )
        local.add_timeline(
            db,
            application=record.application,
            at=record.at,
            source="hub",
            event=record.status,
            detail=detail,
        )
        if record.status != "supplement_requested":
            local.resolve_attention(
                db, application=record.application, kind="supplement", now=now_ms
            )
    elif isinstance(record, r.SupplementRequested):
        if local.get_application(db, record.application) is None:
            return
        local.add_attention(
            db,
            application=record.application,
            record_id=record.id,
            kind="supplement",
            reasons=[
                {
                    "code": "supplement",
                    "message": record.message,
                    "field": "materials",
                    "materials": list(record.materials),
                }
            ],
            body=None,
            now=now_ms,
        )
        local.add_timeline(
            db,
            application=record.application,
            at=record.at,
            source="hub",
            event="supplement requested",
            detail=f"{'、'.join(_material_names(db, record.application, record.materials))}"
            f" {record.message}".strip(),
        )
    elif isinstance(record, r.ShipmentEvent):
        if local.get_application(db, record.application) is None:
            return
        latest = local.latest_mail_at(db, record.application)
        if latest is None or record.at >= latest:  # a late-arriving older event is history
            local.update_application(
                db,
                record.application,
                tracking=record.tracking,
                last_mail_event=record.event,
                updated_at=now_ms,
            )
        local.add_timeline(
            db,
            application=record.application,
            at=record.at,
            source="hub",
            event=f"mail {record.event}",
            detail=f"{record.carrier} {record.tracking} {record.location} {record.note}".strip(),
        )
        if record.event == "returned":
            local.add_attention(
                db,
                application=record.application,
                record_id=record.id,
                kind="returned",
                reasons=[
                    {
                        "code": "mail.returned",
                        "message": f"{record.carrier} {record.tracking} {record.note}".strip(),
                        "field": None,
                    }
                ],
                body=None,
                now=now_ms,
            )
    elif isinstance(record, r.CatalogueUpdated):
        current = local.catalogue(db)
        if current is None or current["version"] < record.version:
            local.save_catalogue(
                db,
                version=record.version,
                body=msgspec.json.encode(record).decode("utf-8"),
                now=now_ms,
            )
    elif isinstance(record, r.RecordRejected):
        known = {a["record_id"] for a in local.open_attention(db)}
        if record.record in known or outbox.get(db, record.record) is not None:
            return  # already shown from the acknowledgement, or still to be sent
        reasons = [msgspec.to_builtins(x) for x in record.reasons]
        local.add_attention(
            db,
            application=None,
            record_id=record.record,
            kind="rejected",
            reasons=reasons,
            body=None,
            now=now_ms,
        )
        if local.get_application(db, record.record) is not None:
            local.update_application(db, record.record, sync_state="rejected", updated_at=now_ms)


class _StatusBatch:
    """Status changes of one page, written with one statement per table."""

    def __init__(self, db: Database, now_ms: int) -> None:
        self.db, self.now_ms = db, now_ms
        self.pending: list[r.StatusChanged] = []
        self.updated: set[str] = set()  # applications whose row got a status

    def add(self, record: r.StatusChanged) -> None:
        self.pending.append(record)

    def flush(self) -> None:
        if not self.pending:
            return
        db, changes = self.db, self.pending
        self.pending = []
        known = local.hub_versions_of(db, list({c.application for c in changes}))
        waiting = local.open_attention_apps(db, "supplement")
        returned = local.open_attention_apps(db, "returned")
        updates, lines, resolved, resent = [], [], [], []
        refused: list[tuple[str, str]] = []  # (note, id): the refusal's reason, kept
        local.note_versions(db, [(c.application, c.version) for c in changes])
        for c in changes:
            if c.application not in known:
                continue  # captured on another device of this outlet
            current = known[c.application]
            if current is not None and current > c.version:
                continue  # an older change arriving late changes nothing
            known[c.application] = c.version
            updates.append(
                (
                    c.status,
                    c.version,
                    c.unit,
                    c.due_date,
                    int(c.due_provisional),
                    self.now_ms,
                    c.application,
                )
            )
            # The due date is the application's own (shown with it), not a line of words.
            detail = " ".join(x for x in (c.unit or "", c.note) if x)
            lines.append((c.application, c.at, "hub", c.status, detail))
            if c.status == "rejected":
                refused.append((c.note, c.application))
            if c.status != "supplement_requested" and c.application in waiting:
                resolved.append(c.application)
            if c.status != "returned" and c.application in returned:
                resent.append(c.application)  # mailed again, or waiting for pickup here
        local.apply_statuses(db, updates, lines)
        local.set_refusals(db, refused)
        self.updated.update(u[-1] for u in updates)
        for app_id in resolved:
            local.resolve_attention(db, application=app_id, kind="supplement", now=self.now_ms)
        for app_id in resent:
            local.resolve_attention(db, application=app_id, kind="returned", now=self.now_ms)


def _apply_records(db: Database, records: Iterable[r.DownlinkRecord], now_ms: int) -> set[str]:
    """Apply feed records in order (inside the caller's transaction); the applications
    whose status they set (and with it the state 'sent')."""
    statuses = _StatusBatch(db, now_ms)
    for record in records:
        if isinstance(record, r.StatusChanged):
            statuses.add(record)
        else:
            statuses.flush()  # keep the feed's order around other kinds of record
            _apply_record(db, record, now_ms)
    statuses.flush()
    return statuses.updated


def _apply_page(db: Database, page: FeedPage, now_ms: int) -> None:
    # Not waiting for the disk: if this is lost, so is the cursor, and the page comes again.
    with write(db, durable=False):
        _apply_records(db, page.records, now_ms)
        meta.put(db, "cursor", page.next_cursor)
        meta.put(db, "last_pull_at", now_ms)


def pull(
    db: Database,
    client: HubClient,
    result: SyncResult,
    *,
    now_ms: Callable[[], int],
    progress: Progress,
    attempts: int | None = None,
    check_state: bool = True,
) -> None:
    """Pull pages until current; rebuild from cursor 0 if the hub says our view drifted.

    ``check_state``: send the state digest (the last pull of a round does; a catch-up before
    the push need not).

    The next page is asked for while this one is applied (the cursor it starts from is in
    this page): pages still arrive, and are applied, in order, each with its cursor.
    """
    cursor = int(meta.get(db, "cursor", 0))
    pool: ThreadPoolExecutor | None = None  # made only for a feed longer than a page

    def ask(after: int, state: str | None = None, *, ahead: bool = False) -> Future[FeedPage]:
        nonlocal pool
        beat = client.heartbeat()  # read here: the database belongs to this thread
        fetch = partial(
            client.pull, after, state=state, limit=PULL_PAGE, heartbeat=beat, attempts=attempts
        )
        if ahead:
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daiban-pull")
            return pool.submit(fetch)
        done: Future[FeedPage] = Future()
        done.set_result(fetch())
        return done

    try:
        # The hub compares the state only when it has nothing newer to send, which can be so
        # only on the first page of a round: later pages follow a full one.
        coming = ask(cursor, state_digest(local.versions(db)) if check_state else None)
        for _ in range(MAX_PAGES):
            page = coming.result()
            if page.resync and not result.resynced:
                with write(db):  # self-healing: forget the hub's view, keep every local record
                    local.clear_hub_view(db)
                    meta.put(db, "cursor", 0)
                result.resynced = True
                cursor = 0
                coming = ask(cursor)
                continue
            if page.more:  # asked for now, applied after this page
                coming = ask(page.next_cursor, ahead=True)
            _apply_page(db, page, now_ms())
            result.pulled += len(page.records)
            progress("pull", result.pulled, result.pulled + (1 if page.more else 0))
            cursor = page.next_cursor
            if not page.more:
                return
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


# --- the round ----------------------------------------------------------------------------


def _catch_up(
    db: Database,
    client: HubClient,
    result: SyncResult,
    *,
    now_ms: Callable[[], int],
    progress: Progress,
) -> None:
    """Pull before pushing, so that the acknowledgements' feed records follow on the cursor.

    Only an optimisation, tried once: whatever stops it must not stop the push, which is
    written in flight and sent (with its own retries) as if there had been no catch-up. The
    pull after the push meets the same trouble and reports it.
    """
    try:
        pull(db, client, result, now_ms=now_ms, progress=progress, attempts=1, check_state=False)
    except Exception as exc:
        result.notes.append(f"catch-up pull failed: {exc.__class__.__name__}: {exc}"[:500])


def sync_once(
    db: Database,
    home: Home,
    client: HubClient,
    *,
    now_ms: Callable[[], int],
    progress: Progress | None = None,
) -> SyncResult:
    """One full round. Raises HubUnavailable / HubRefused; what was done before stays done."""
    result = SyncResult()
    progress = progress or _noop
    started = now_ms()
    outcome, message = "error", ""
    try:
        with one_checkpoint(db):
            if outbox.count(db) or outbox.inflights(db):
                _catch_up(db, client, result, now_ms=now_ms, progress=progress)
            push(db, client, result, now_ms=now_ms, progress=progress)
            upload_scans(db, home, client, result, progress=progress)
            pull(db, client, result, now_ms=now_ms, progress=progress)
        outcome = "ok"
        return result
    except Exception as exc:
        message = str(exc)[:500]
        outcome = exc.__class__.__name__
        raise
    finally:
        result.attention = len(local.open_attention(db))
        result.requests, result.bytes_sent = client.requests, client.bytes_sent
        result.bytes_received = client.bytes_received
        with write(db, durable=False):
            meta.put(db, "clock_offset_ms", client.offset_ms)
            outbox.log_round(
                db,
                started_at=started,
                finished_at=now_ms(),
                outcome=outcome,
                pushed=result.pushed,
                pulled=result.pulled,
                uploaded=result.uploaded,
                message=message,
            )
            if outcome == "ok":
                meta.put(db, "last_sync_at", now_ms())
