"""Devices: one-time enrolment codes (``enroll``, shown as a QR code), ``device list`` and
``device revoke``."""

from __future__ import annotations

import sys
import time
from datetime import datetime

import click

from hub import devices, store
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse
from hub.devices import DeviceError
from hub.store import write


@click.command()
@click.argument("outlet_code")
@click.option(
    "--hub-url",
    default="http://127.0.0.1:8700",
    show_default=True,
    help="Address devices reach the hub at (goes into the QR code).",
)
@click.option("--ttl-hours", default=24, show_default=True, type=click.IntRange(min=1))
@json_option
@pass_data
def enroll(data: Data, outlet_code: str, hub_url: str, ttl_hours: int, as_json: bool) -> None:
    """Make a one-time enrolment code for a device of OUTLET_CODE (shown as a QR code)."""
    from webbase.qr import QUIET_ZONE, qr_code  # segno, loaded only for this command

    db = data.db()
    try:
        with write(db):
            code = devices.enrolment_code(
                db, outlet=outlet_code, now=common.now_ms(), ttl_s=ttl_hours * 3600
            )
    except DeviceError as exc:
        raise refuse(exc) from None
    if as_json:
        emit(code, True, "")
        return
    uri = devices.enrolment_uri(hub_url, code["code"])
    expires = time.strftime("%Y-%m-%d %H:%M", time.localtime(code["expires_at"] / 1000))
    click.echo(f"enrolment code for {outlet_code}: {code['code']}  (expires {expires})")
    click.echo(f"on the device: daiban-agent enroll {hub_url} {code['code']}")
    qr_code(uri).terminal(out=sys.stdout, border=QUIET_ZONE, compact=True)


@click.group()
def device() -> None:
    """Devices enrolled at outlets."""


@device.command("list")
@json_option
@pass_data
def device_list(data: Data, as_json: bool) -> None:
    """List devices with their last contact and reported backlog."""
    rows = [
        {k: v for k, v in d.items() if k != "public_key"}
        for d in store.devices.list_devices(data.db())
    ]
    lines = [
        f"{d['id']}\t{d['outlet']}\tlast seen {local_time(d['last_seen_at'])}\t"
        f"unsent {'-' if d['unsent'] is None else d['unsent']}\t"
        f"{'REVOKED ' + local_time(d['revoked_at']) if d['revoked_at'] else ''}".rstrip()
        for d in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no devices")


def local_time(ms: int | None) -> str:
    """Unix milliseconds as the server's local time with its offset, to the second
    (``2026-11-24 15:23:07+08:00``); ``never`` for none. ``--json`` keeps the milliseconds."""
    if not ms:
        return "never"
    return datetime.fromtimestamp(ms / 1000).astimezone().isoformat(" ", timespec="seconds")


@device.command("revoke")
@click.argument("device_id")
@click.option("--reason", required=True)
@json_option
@pass_data
def device_revoke(data: Data, device_id: str, reason: str, as_json: bool) -> None:
    """Refuse every further request from a device (lost or stolen laptop)."""
    db = data.db()
    try:
        with write(db):
            devices.revoke_device(
                db, device_id=device_id, reason=reason, by="cli", now=common.now_ms()
            )
    except DeviceError as exc:
        raise click.ClickException(str(exc)) from exc
    emit({"ok": True, "device": device_id}, as_json, f"device {device_id} revoked")
