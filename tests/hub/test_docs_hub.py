"""docs/hub.md and docs/api.md stay true to the code.

Every ``daiban-hub`` command is shown in docs/hub.md, every configuration default is named
there as its environment variable; every route of the OpenAPI document (which
tests/hub/test_openapi.py keeps equal to the app's routes) is described in docs/api.md with
its method; tests/hub/test_error_codes.py keeps its error codes listed there.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import click
import pytest
from click.testing import CliRunner

from hub.api.openapi import PATHS
from hub.cli import cli
from hub.settings import DEFAULTS
from hub.store import open_db, write
from sync.errors import InvalidValue
from sync.validators import outlet_code

T = TypeVar("T")
ROOT = Path(__file__).parent.parent.parent
DOCS = ROOT / "docs"
HUB_MD = (DOCS / "hub.md").read_text(encoding="utf-8")
API_MD = (DOCS / "api.md").read_text(encoding="utf-8")

FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")


def code_text(markdown: str) -> list[str]:
    """The contents of the fenced code blocks and inline code spans of a Markdown text."""
    blocks = FENCED.findall(markdown)
    prose = FENCED.sub("", markdown)
    return blocks + INLINE.findall(prose)


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield " ".join(path)
        if isinstance(command, click.Group):
            yield from command_paths(command, path)


def test_the_walk_and_the_regexes_find_something():
    # A refactor that hides commands or codes from this test must not make it pass vacuously.
    assert {"init", "serve", "outlet add", "calendar load", "device revoke"} <= set(
        command_paths(cli)
    )


@pytest.mark.parametrize("path", sorted(command_paths(cli)))
def test_every_cli_command_is_shown_in_hub_md(path):
    pattern = re.compile(rf"(?<![\w-]){re.escape(path)}(?![\w-])")
    assert any(pattern.search(text) for text in code_text(HUB_MD)), (
        f"`daiban-hub {path}` is not shown in docs/hub.md (in backticks or a code block)"
    )


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_config_default_is_named_in_hub_md(name):
    assert f"`DAIBAN_HUB_{name}`" in HUB_MD


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_route_is_in_api_md(path):
    assert path in API_MD, f"{path} is not described in docs/api.md"


@pytest.mark.parametrize(
    ("method", "path"),
    sorted((method.upper(), path) for path, ops in PATHS.items() for method in ops),
)
def test_every_operation_is_in_api_md_with_its_method(method, path):
    assert f"{method} {path}" in API_MD, f"`{method} {path}` is not in docs/api.md"


# --- what docs/hub.md says the hub does, checked against what it does -----------------------


def _sweep_with_nonces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, set[str]]:
    """A sweep (`daiban-hub sweep`) over a fresh hub holding nonces of several ages: what it
    printed, and the nonces left."""
    data = tmp_path / "hub"
    assert CliRunner().invoke(cli, ["--data", str(data), "init"]).exit_code == 0
    now_s = int(time.time())
    window = DEFAULTS["SIGNATURE_WINDOW"]
    ages = {"fresh": 0, "in-window": window, "inside-twice": 2 * window - 5}
    ages |= {"past-twice": 2 * window + 5, "half-hour": 1800}
    db = open_db(data / "hub.db")
    with write(db):
        for nonce, age in ages.items():
            db.execute("INSERT INTO nonces VALUES ('k', ?, ?)", [nonce, now_s - age])
    db.close()
    monkeypatch.delenv("DAIBAN_HUB_SIGNATURE_WINDOW", raising=False)
    done = CliRunner().invoke(cli, ["--data", str(data), "sweep", "--json"])
    assert done.exit_code == 0, done.output
    db = open_db(data / "hub.db", migrate=False)
    left = {r["nonce"] for r in db.query("SELECT nonce FROM nonces")}
    db.close()
    return json.loads(done.stdout), left


def test_the_sweep_forgets_nonces_as_hub_md_says_and_prints_its_examples_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed, left = _sweep_with_nonces(tmp_path, monkeypatch)
    # Twice the signature window (protocol.md section 6), not an hour.
    assert left == {"fresh", "in-window", "inside-twice"}
    assert "twice the signature window" in HUB_MD and "older than one hour" not in HUB_MD
    examples = [
        line
        for block in FENCED.findall(HUB_MD)
        for line in block.splitlines()
        if line.startswith('{"sla_changes"')
    ]
    assert len(examples) >= 2
    for line in examples:
        assert list(json.loads(line)) == list(printed), line


def test_hub_md_states_the_outlet_code_rule_the_validator_keeps() -> None:
    assert "1-64 ASCII letters, digits, `_`, `.` or `-`, starting with a letter or digit" in HUB_MD
    for good in ("XL-001", "po.510107_01", "A" * 64):
        assert outlet_code(good) == good
    for bad in ("-XL", ".XL", "A" * 65, "XL 001", "新乐镇", ""):
        with pytest.raises(InvalidValue):
            outlet_code(bad)


API_PAIR = re.compile(r"`([a-z-]+ [a-z-]+)` is\s+`(GET|POST) (/api/v1/[^`]+)`")


def test_the_api_equivalents_hub_md_names_exist_and_the_rest_are_said_cli_only() -> None:
    pairs = API_PAIR.findall(HUB_MD)
    commands = set(command_paths(cli))
    assert len(pairs) >= 6
    for command, method, path in pairs:
        assert command in commands, command
        assert method.lower() in PATHS.get(path, {}), f"{method} {path} (for {command})"
    assert (
        "Each has\nan API equivalent" not in HUB_MD and "Each has an API equivalent" not in HUB_MD
    )
    said_cli_only = "The carrier commands (`carrier add`, `rotate`,\n`list`, `remove`, `simulate`)"
    assert said_cli_only in HUB_MD and "`followup-days` are on the command line only" in HUB_MD
    carrier_commands = {c.split()[1] for c in commands if c.startswith("carrier ")}
    assert carrier_commands == {"add", "rotate", "list", "remove", "simulate"}
