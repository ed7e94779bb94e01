"""Hub users: ``user add`` (a password and an API token, shown once) and ``user list``."""

from __future__ import annotations

import click

from hub import store
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse
from hub.store import write
from hub.users import UserError, create_user


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
    emit(rows, as_json, "\n".join(f"{u['name']}\t{u['role']}\t{u['unit'] or ''}" for u in rows))
