"""A simulated carrier, for the demo and for tests only: it replays realistic tracking
sequences to the hub's webhook, signed with the carrier's secret like a real carrier would.

    daiban-hub carrier simulate EMS EA123456785CN --outcome delivered --url http://127.0.0.1:8700
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import requests

from hub.carriers import sign_webhook

CHINA = timezone(timedelta(hours=8))

# (event, hours after the previous one, location, note): how EMS results move in Sichuan.
_DELIVERED = (
    ("posted", 0, "成都市武侯区政务服务中心邮政营业部", "已收寄"),
    ("in_transit", 3, "成都邮区中心局", "已到达处理中心"),
    ("in_transit", 9, "成都市双流区分拣中心", "已发往投递站"),
    ("out_for_delivery", 12, "成都市武侯区红牌楼投递站", "投递员正在派送"),
    ("delivered", 4, "成都市武侯区红牌楼投递站", "本人签收"),
)
_RETURNED = (
    ("posted", 0, "成都市武侯区政务服务中心邮政营业部", "已收寄"),
    ("in_transit", 3, "成都邮区中心局", "已到达处理中心"),
    ("out_for_delivery", 16, "成都市武侯区红牌楼投递站", "投递员正在派送"),
    ("failed_attempt", 5, "成都市武侯区红牌楼投递站", "收件人电话无人接听"),
    ("failed_attempt", 24, "成都市武侯区红牌楼投递站", "地址不详"),
    ("returned", 48, "成都市武侯区红牌楼投递站", "退回寄件人"),
)
OUTCOMES = {"delivered": _DELIVERED, "returned": _RETURNED, "in_transit": _DELIVERED[:3]}


def sequence(
    tracking: str,
    outcome: str,
    *,
    end: datetime,
    start: datetime | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The events of one parcel, the last one at ``end``, each with a stable event id.
    With ``start`` (when the hub recorded the posting) the days-long journey is squeezed
    between the two, so no carrier event comes before the posting."""
    steps = OUTCOMES[outcome]
    rng = random.Random(f"{tracking}:{seed}")
    if start is not None:
        # Carrier times are whole seconds: from the second after the posting, or a journey
        # squeezed into that same second would come out before the hub's posting record
        # (which has milliseconds) and read as older than it.
        if start.microsecond:
            start = start.replace(microsecond=0) + timedelta(seconds=1)
        end = max(end, start)
    gaps = [timedelta(hours=h, minutes=rng.randint(0, 50)) for _, h, _, _ in steps]
    span = sum(gaps[1:], timedelta())
    if start is not None and start <= end:
        scale = (end - start) / (span + gaps[0] + timedelta(minutes=1))
        gaps = [gap * scale for gap in gaps]
        span = sum(gaps[1:], timedelta())
    at = end - span
    events = []
    for index, ((kind, _, location, note), gap) in enumerate(zip(steps, gaps, strict=True)):
        if index:
            at += gap
        events.append(
            {
                "event_id": f"SIM-{tracking}-{index:02d}",
                "tracking": tracking,
                "event": kind,
                "at": at.astimezone(CHINA).isoformat(timespec="seconds"),
                "location": location,
                "note": note,
            }
        )
    return events


def push(
    url: str,
    carrier: str,
    secret: str,
    events: list[dict[str, Any]],
    *,
    timeout: float = 10,
) -> list[dict[str, Any]]:
    """Post each event to the hub's webhook, in the order given; what the hub answered."""
    answers = []
    with requests.Session() as session:
        for event in events:
            body = json.dumps(event, ensure_ascii=False).encode("utf-8")
            headers = sign_webhook(
                secret, body, message_id=f"msg_{event['event_id']}", at=datetime.now(UTC)
            )
            response = session.post(
                f"{url.rstrip('/')}/api/v1/carriers/{carrier}/events",
                data=body,
                headers=headers,
                timeout=timeout,
            )
            try:
                answer = response.json()
            except ValueError:
                answer = {"ok": False, "error": response.text[:200]}
            answers.append({"status": response.status_code, **answer})
    return answers
