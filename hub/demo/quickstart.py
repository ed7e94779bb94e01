"""``make run``: a hub with the sample catalogue and an enrolled outlet agent, both running.

    python -m hub.demo.quickstart [--data daiban-data] [--host 127.0.0.1] [--port 8700]
                             [--agent-port 8701] [--demo]

First run: initialises the hub (sample catalogue, one sample outlet, the EMS carrier, three
users whose passwords and API tokens are saved owner-only in DATA/credentials.json), serves it,
enrols a local agent at the sample outlet with one clerk (PIN in the same file), and serves the
agent's pages with background sync. The EMS carrier's webhook secret is saved in the same file
(``carriers``), for trying docs/webhook.md. ``--demo`` adds sample traffic once: five
applications, each left at another step (hub/demo/traffic.py). Later runs reuse everything.
Stop with Ctrl-C or SIGTERM: the hub and the agent are sent SIGTERM and waited for (a few
seconds at most, then killed), and the command exits 0. All data stays in DATA. It drives the
two console scripts, as an operator would.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from hub.demo.programs import run, tool

OUTLET = ("PO-510107-01", "postal", "武侯区邮政代办点", "510107")
# The runners' outlet: their phones enrol here (docs/runner.md).
VILLAGE = ("VL-510107-01", "village", "武侯区簇锦村代办点", "510107")
CLERK = ("clerk-01", "王小芳")
DEMO_OUTLET_PHONE = "028-85551234"  # a sample landline of the demo outlet
USERS = (
    ("admin", "admin", None),
    ("operator", "operator", None),
    ("wuhou-hrss", "officer", "HRSS-510107"),
)


def set_up_hub(data: Path) -> dict:
    hub = [tool("daiban-hub"), "--data", str(data / "hub")]
    credentials = data / "credentials.json"
    if not (data / "hub" / "hub.db").exists():
        run(*hub, "init")
        for code, kind, name, region in (OUTLET, VILLAGE):
            run(*hub, "outlet", "add", code, "--kind", kind, "--name", name, "--region", region)
        users = {}
        for user, role, unit in USERS:
            extra = ["--unit", unit] if unit else []
            users[user] = json.loads(
                run(*hub, "user", "add", user, "--role", role, *extra, "--json")
            )
        users["carriers"] = {"EMS": carrier_secret(hub, "add", "--name", "中国邮政EMS")}
        save(credentials, users)
    values = json.loads(credentials.read_text(encoding="utf-8")) if credentials.exists() else {}
    if values and "carriers" not in values:
        # A data folder made before the secret was saved: it was shown to nobody, so a new
        # one takes nothing from anyone (the simulated carrier reads it from the hub).
        values["carriers"] = {"EMS": carrier_secret(hub, "rotate")}
        save(credentials, values)
    return values


def carrier_secret(hub: list[str], command: str, *args: str) -> dict:
    """``carrier add`` or ``carrier rotate`` EMS: its webhook secret and where it posts."""
    made = json.loads(run(*hub, "carrier", command, "EMS", *args, "--json"))
    return {"secret": made["secret"], "webhook": "/api/v1/carriers/EMS/events"}


def save(credentials: Path, values: dict) -> None:
    credentials.write_text(json.dumps(values, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(credentials, 0o600)


def set_up_agent(data: Path, url: str, users: dict) -> dict:
    """Enrol the local agent at the sample outlet and give it one clerk with a PIN."""
    home = data / "agent"
    if not enrolled(home):
        code = json.loads(
            run(tool("daiban-hub"), "--data", str(data / "hub"), "enroll", OUTLET[0], "--json")
        )["code"]
        run(tool("daiban-agent"), "--home", str(home), "enroll", url, code, "--label", "demo")
        # Printed on its receipts, so a citizen knows whom to call (a sample number).
        run(tool("daiban-agent"), "--home", str(home), "outlet-phone", DEMO_OUTLET_PHONE)
    if "clerk" not in users:
        pin = f"{secrets.randbelow(10**6):06d}"
        code, name = CLERK
        run(
            tool("daiban-agent"),
            "--home",
            str(home),
            "staff",
            "add",
            code,
            "--name",
            name,
            "--role",
            "clerk",
            "--pin",
            pin,
        )
        users["clerk"] = {"code": code, "name": name, "pin": pin}
        save(data / "credentials.json", users)
    return users


def phone_code(data: Path, url: str) -> str:
    """A fresh one-time code for a runner's phone at the sample village outlet: each run
    prints one, as the old one may have been used."""
    hub = [tool("daiban-hub"), "--data", str(data / "hub")]
    enroll = (*hub, "enroll", VILLAGE[0], "--hub-url", url, "--json")
    made = subprocess.run(enroll, capture_output=True, text=True, check=False)
    if made.returncode != 0:  # a data folder made before the village outlet was added
        code, kind, name, region = VILLAGE
        run(*hub, "outlet", "add", code, "--kind", kind, "--name", name, "--region", region)
        return str(json.loads(run(*enroll))["code"])
    return str(json.loads(made.stdout)["code"])


def wait_up(url: str, proc: subprocess.Popen, what: str = "the hub") -> None:
    """Until ``url`` answers 200 (bounded: 30 s), so what is printed as running is."""
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"{what} stopped while starting; see the messages above")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer at {url}")


def enrolled(home: Path) -> bool:
    out = subprocess.run(
        [tool("daiban-agent"), "--home", str(home), "status", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode == 0 and json.loads(out.stdout or "{}").get("enrolled", False)


class Stop(Exception):
    """SIGTERM or SIGINT arrived: stop the children and exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stop(signum)


STOP_WAIT_S = 8.0  # the children stop in well under a second; after this they are killed


def stop_children(procs: list[subprocess.Popen[Any] | None], wait_s: float = STOP_WAIT_S) -> None:
    """SIGTERM to each child still running (both stop cleanly on it, whatever they inherited
    for SIGINT: a shell script's background job ignores SIGINT), waited for together within
    ``wait_s``; one still running then is killed."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + wait_s
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def public_url(host: str, port: int) -> str | None:
    """The address a phone on the same network reaches the hub at, or None when the hub
    listens on loopback only (no phone can reach it then)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None if host == "localhost" else f"http://{host}:{port}"
    if ip.is_loopback:
        return None
    if ip.is_unspecified:  # 0.0.0.0 or ::: this machine's address on its network
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent
                return f"http://{probe.getsockname()[0]}:{port}"
        except OSError:
            return None
    return f"http://[{ip}]:{port}" if ip.version == 6 else f"http://{ip}:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="daiban-data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700, help="the hub's port")
    parser.add_argument("--agent-port", type=int, default=8701, help="the agent pages' port")
    parser.add_argument("--demo", action="store_true", help="add sample traffic (first run)")
    args = parser.parse_args()
    # `kill` (or a service manager) sends SIGTERM, Ctrl-C SIGINT: either stops the hub and the
    # agent. A SIGINT ignored from the start (a shell script's background job) stays ignored.
    signal.signal(signal.SIGTERM, _stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _stop)
    children: list[subprocess.Popen[Any] | None] = []
    try:
        serve(args, children)
    except (Stop, KeyboardInterrupt):
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second Ctrl-C: the stop goes on
            signal.signal(signum, signal.SIG_IGN)
        stop_children(children)


def serve(args: argparse.Namespace, children: list[subprocess.Popen[Any] | None]) -> None:
    """Set up what is missing, start the hub and the agent (put in ``children`` as they start),
    print how to use them, and wait until either stops (or a signal ends it)."""
    data = Path(args.data)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    users = set_up_hub(data)
    url = f"http://{args.host}:{args.port}"
    # The address phones reach the hub at: the devices page offers it for enrolment codes.
    phones = public_url(args.host, args.port)
    env = dict(os.environ)
    if phones and not env.get("DAIBAN_HUB_PUBLIC_URL"):
        env["DAIBAN_HUB_PUBLIC_URL"] = phones
    hub = subprocess.Popen(
        [
            tool("daiban-hub"),
            "--data",
            str(data / "hub"),
            "serve",
            "--host",
            args.host,
            "--port",
            str(args.port),
        ],
        env=env,
    )
    children.append(hub)
    wait_up(f"{url}/healthz", hub)
    home = data / "agent"
    users = set_up_agent(data, url, users)
    if args.demo and not (data / "demo-done").exists():
        from hub.demo.traffic import add_traffic

        print(add_traffic(data, url, users), flush=True)
        (data / "demo-done").touch()
    agent = subprocess.Popen(
        [
            tool("daiban-agent"),
            "--home",
            str(home),
            "serve",
            "--interval",
            "1",
            "--host",
            args.host,
            "--port",
            str(args.agent_port),
        ]
    )
    children.append(agent)
    agent_cmd = f"daiban-agent --home {home}"
    pages = f"http://{args.host}:{args.agent_port}"
    wait_up(f"{pages}/signin", agent, "the outlet pages")
    clerk = users.get("clerk", {})
    sign_in = f"sign in as {clerk.get('code')} ({clerk.get('name')}), PIN {clerk.get('pin')}"
    token = users.get("wuhou-hrss", {}).get("token", "(see credentials.json)")
    phone_hub = env.get("DAIBAN_HUB_PUBLIC_URL") or url
    phone = phone_code(data, phone_hub)
    hub_sign_in = ", or ".join(
        f"{name} / {users[name]['password']}"
        for name in ("operator", "wuhou-hrss")
        if users.get(name, {}).get("password")
    )
    reach = (
        f"phones on this network reach the hub at {phone_hub}"
        if phones
        else "for a real phone, start with ARGS='--host 0.0.0.0' (the hub then listens on\n"
        "                this machine's network address too)"
    )
    print(
        f"""
Daiban is running.
  outlet pages: {pages}  {sign_in}
  hub pages:    {url}  sign in as {hub_sign_in}
  hub API:      {url}/api/v1/openapi.json
  logins:       {data / "credentials.json"} (the clerk's PIN; passwords and API tokens of
                admin, operator, and the officer of 武侯区人社局 HRSS-510107; and "carriers":
                the EMS webhook secret, for trying docs/webhook.md against
                {url}/api/v1/carriers/EMS/events)
  agent:        home {home}, enrolled at {OUTLET[2]} ({OUTLET[0]}), syncing every minute
  runner app:   {url}/runner/  open it on a phone (or a browser window 360 px wide) and
                enrol with the one-time code {phone} for {VILLAGE[2]} ({VILLAGE[0]});
                more codes: daiban-hub --data {data / "hub"} enroll {VILLAGE[0]}
                (or the hub's 设备 page, which shows the code as a QR for the phone's camera);
                {reach}

Try it (in another terminal, with .venv/bin on your PATH), as {clerk.get("code")}:
  {agent_cmd} new --staff {clerk.get("code")} --item SS-CARD-ACT --name 张三 \\
      --id-number 11010519491231002X --phone 13812345678 --pickup \\
      --paper ID-CARD --paper SS-CARD --json
  {agent_cmd} sync && {agent_cmd} list
  curl -H 'Authorization: Bearer {token}' {url}/api/v1/applications
  curl -H 'Authorization: Bearer {token}' '{url}/api/v1/stats?by=outlet'

Stop with Ctrl-C; everything is kept in {data}/.
""",
        flush=True,
    )
    while hub.poll() is None and agent.poll() is None:  # until a signal, or one of them stops
        time.sleep(0.5)
    what = "the hub" if hub.poll() is not None else "the outlet pages"
    raise SystemExit(f"{what} stopped; see the messages above")


if __name__ == "__main__":
    main()
