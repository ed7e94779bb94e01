"""docs/hub.md and docs/api.md stay true to the code.

Every ``daiban-hub`` command is shown in docs/hub.md, every configuration default is named
there as its environment variable; every route of the OpenAPI document (which
tests/hub/test_openapi.py keeps equal to the app's routes) is described in docs/api.md with
its method; tests/hub/test_error_codes.py keeps its error codes listed there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import click
import pytest

from hub.api.openapi import PATHS
from hub.cli import cli
from hub.settings import DEFAULTS

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
