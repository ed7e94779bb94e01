"""Pushes in a row: a batch sent ``after`` another is applied after it, or refused."""

from __future__ import annotations

import threading
import time

import pytest

from sync.batch import encode_batch
from sync.replies import decode_ack
from tests.hub.test_e2e_sync import apps_for, count, enrolled


@pytest.fixture
def quick(hub, monkeypatch):
    """The hub waits 0.5 s (not 2) for a predecessor that has not arrived."""
    monkeypatch.setattr(hub.app.config["PUSH_ORDER"], "arrival_wait_s", 0.5)
    return hub


def two_batches(device):
    first = device.batch(apps_for(device, 2, seed=1))
    second = device.batch(apps_for(device, 2, seed=2))
    return first, second


def test_a_batch_sent_before_the_one_it_follows_waits_for_it(quick):
    device = enrolled(quick)
    first, second = two_batches(device)
    answers = {}

    def send_second() -> None:
        answers["second"] = device.push_frame(encode_batch(second), after=first.batch)

    overtaking = threading.Thread(target=send_second)
    overtaking.start()
    time.sleep(0.2)  # the second is at the hub, waiting
    answers["first"] = device.push_frame(encode_batch(first))
    overtaking.join(timeout=30)
    for name in ("first", "second"):
        response = device.verified(answers[name])
        assert response.status_code == 200, response.text
        assert {r.status for r in decode_ack(response.content).results} == {"accepted"}
    db = quick.db()
    order = [r[0] for r in db.execute("SELECT id FROM batches ORDER BY rowid")]
    db.close()
    assert order == [first.batch, second.batch]
    assert count(quick, "applications") == 4


def test_a_batch_whose_predecessor_never_came_is_refused_and_changes_nothing(quick):
    device = enrolled(quick)
    first, second = two_batches(device)
    started = time.monotonic()
    response = device.verified(device.push_frame(encode_batch(second), after=first.batch))
    assert time.monotonic() - started >= 0.5  # it waited for the first to arrive
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "batch.out_of_order" and body["field"] == "after"
    assert count(quick, "applications") == 0 and count(quick, "batches") == 0
    db = quick.db()
    seen = db.execute("SELECT last_seen_at FROM devices WHERE id = ?", [device.device_id])
    assert seen.fetchone()[0] is not None  # a refused push is still a sign of life
    db.close()
    # Sent in the right order, both go in.
    assert device.verified(device.push_frame(encode_batch(first))).status_code == 200
    again = device.verified(device.push_frame(encode_batch(second), after=first.batch))
    assert again.status_code == 200
    assert count(quick, "applications") == 4


def test_a_predecessor_already_applied_is_not_waited_for(quick):
    device = enrolled(quick)
    first, second = two_batches(device)
    assert device.verified(device.push_frame(encode_batch(first))).status_code == 200
    started = time.monotonic()
    response = device.verified(device.push_frame(encode_batch(second), after=first.batch))
    assert response.status_code == 200 and time.monotonic() - started < 0.5


@pytest.mark.parametrize("after", ["not-a-uuid", "SELF", "OTHER"])
def test_a_wrong_after_is_refused_and_changes_nothing(quick, after):
    device = enrolled(quick)
    other = enrolled(quick)
    _, second = two_batches(device)
    theirs = other.batch(apps_for(other, 1, seed=9))
    assert other.verified(other.push_frame(encode_batch(theirs))).status_code == 200
    named = {"SELF": second.batch, "OTHER": theirs.batch}.get(after, after)
    response = device.verified(device.push_frame(encode_batch(second), after=named))
    assert response.status_code == 400
    assert response.json()["field"] == "after"
    assert count(quick, "applications") == 1  # the other device's only


def test_no_more_pushes_wait_than_allowed_so_threads_stay_for_the_predecessors():
    from hub.push_order import PushOrder

    order = PushOrder(arrival_wait_s=5, max_waiting=1)
    arrived = threading.Event()
    waited = {}

    def first_waiter() -> None:
        waited["first"] = order.wait_for("A", arrived.is_set)

    waiter = threading.Thread(target=first_waiter)
    waiter.start()
    time.sleep(0.2)  # the first is waiting for A
    started = time.monotonic()
    assert order.wait_for("B", lambda: False) is False  # refused at once: one waits already
    assert time.monotonic() - started < 0.5
    assert order.wait_for("C", lambda: True) is True  # an applied predecessor needs no wait
    arrived.set()
    with order.running("X"):  # a push ending wakes the waiter, which finds A applied
        pass
    waiter.join(10)
    assert waited == {"first": True}
