"""Hub users: ``user add`` (a password and an API token, shown once), ``user list``,
``user disable`` and ``user enable``, and ``user token`` (a new API token, shown once)."""

from __future__ import annotations

import click

from hub import store
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse
from hub.store import write
from hub.users import UserError, create_user, disable_user, enable_user, new_token


@click.group()
def user() -> None:
    """People who use the hub's API and pages."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "operator", "officer"]))
@click.option("--unit", help="Department unit code (officers only).")
@click.option(
    "--password",
    help="Password for the pages: 10 characters or more, hard to guess (one is generated if"
    " not given).",
)
@json_option
@pass_data
def user_add(
    data: Data, name: str, role: str, unit: str | None, password: str | None, as_json: bool
) -> None:
    """Add a user; prints the API token (shown once) and the password.

    A weak --password (short, common, or made of the user's name) is refused: nothing added.
    """
    db = data.db()
    from hub.catalogue import load_catalogue

    row = store.catalogue.current_catalogue(db)
    units = set(load_catalogue(row["body"]).units()) if row else set()
    try:
        with write(db):
            new = create_user(
                db,
                name=name,
                role=role,
                unit=unit,
                known_units=units,
                now=common.now_ms(),
                password=password,
            )
    except UserError as exc:
        raise refuse(exc) from None
    emit(
        {
            "ok": True,
            "name": new.name,
            "role": new.role,
            "unit": new.unit,
            "token": new.token,
            "password": new.password,
        },
        as_json,
        f"user {new.name} ({new.role}) added\n  API token (shown once): {new.token}\n"
        f"  password: {new.password}",
    )


@user.command("list")
@json_option
@pass_data
def user_list(data: Data, as_json: bool) -> None:
    """List users."""
    rows = store.users.list_users(data.db())
    lines = [
        "\t".join([u["name"], u["role"], u["unit"] or "", *(["DISABLED"] if u["disabled"] else [])])
        for u in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no users")


@user.command("disable")
@click.argument("name")
@json_option
@pass_data
def user_disable(data: Data, name: str, as_json: bool) -> None:
    """Disable a user: their API token is refused and their page sessions end at once."""
    db = data.db()
    try:
        with write(db):
            row = disable_user(db, name, now=common.now_ms(), by=common.AUDIT_BY)
    except UserError as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "name": row["name"], "disabled": True},
        as_json,
        f"user {row['name']} disabled: API token refused, page sessions ended",
    )


@user.command("enable")
@click.argument("name")
@json_option
@pass_data
def user_enable(data: Data, name: str, as_json: bool) -> None:
    """Let a disabled user in again, with their token and password (see ``user token``)."""
    db = data.db()
    try:
        with write(db):
            row = enable_user(db, name, now=common.now_ms(), by=common.AUDIT_BY)
    except UserError as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "name": row["name"], "disabled": False}, as_json, f"user {row['name']} enabled"
    )


@user.command("token")
@click.argument("name")
@json_option
@pass_data
def user_token(data: Data, name: str, as_json: bool) -> None:
    """Give a user a new API token (shown once); the old one stops working at once."""
    db = data.db()
    try:
        with write(db):
            token = new_token(db, name, now=common.now_ms(), by=common.AUDIT_BY)
    except UserError as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "name": name.strip(), "token": token},
        as_json,
        f"user {name.strip()}: new API token (shown once): {token}\n  the old one no longer works",
    )
