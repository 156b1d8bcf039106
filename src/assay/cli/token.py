"""``assay token``: Audit API tokens (create, list, revoke)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    store_from_option,
)
from assay.names import printable
from assay.store.tokens import Role, create_token, list_tokens, revoke_token

app = typer.Typer(
    help="Tokens for the Audit API: roles auditee, auditor, certifier and admin.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
def create(
    role: Annotated[Role, typer.Option("--role", help="What the token may do.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses it.", show_default=False)],
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Limit it to one spec or target.", show_default=False),
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Let an auditor see confidential values.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a token and print it once: only a hash of it is stored."""
    with store_from_option(db) as store:
        token, text = create_token(store, name=name, role=role, scope=scope, internal=internal)
    typer.echo(text)
    typer.echo(
        f"token {token.id} ({token.role.value}) created for {token.name}; it is shown only now",
        err=True,
    )


@app.command("list")
def list_command(
    db: DbOption = None, fmt: FormatOption = OutputFormat.table, output: OutputOption = None
) -> None:
    """Every token: id, name, role, scope, state (never the secret)."""
    with existing_store(db) as store:
        tokens = list_tokens(store)
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role.value,
            "scope": t.scope,
            "internal": t.internal,
            "created": t.created,
            "revoked": t.revoked,
        }
        for t in tokens
    ]
    table = Table("id", "name", "role", "scope", "created", "state")
    for t in tokens:
        state = "active" if t.active else f"revoked {t.revoked}"
        table.add_row(
            t.id,
            printable(t.name),
            t.role.value + (" (internal)" if t.internal else ""),
            printable(t.scope or ""),
            t.created,
            state,
        )
    emit(output, fmt, rows, table)


@app.command()
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="The token's id.")],
    db: DbOption = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with store_from_option(db) as store:
        token = revoke_token(store, token_id)
    typer.echo(f"revoked token {token.id} ({token.name})")
