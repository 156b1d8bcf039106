"""``assay db``: the database and its schema."""

from __future__ import annotations

import typer

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    store_from_option,
)

app = typer.Typer(
    help="Create, upgrade and inspect the assay database.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
def upgrade(db: DbOption = None) -> None:
    """Create the schema or bring it to this version of assay (safe to repeat)."""
    with store_from_option(db) as store:
        typer.echo(f"{store.database.display_url}: schema at revision {store.schema.current}")


@app.command()
def status(
    db: DbOption = None, fmt: FormatOption = OutputFormat.table, output: OutputOption = None
) -> None:
    """Show which database is used, its schema revision and the ledger's size and head."""
    with existing_store(db) as store:
        head = store.ledger.head()
        entries = store.ledger.count()
        database, revision = store.database.display_url, store.schema.current
        data = {
            "database": database,
            "dialect": store.database.dialect,
            "schema_revision": revision,
            "ledger": {"entries": entries, "head": {"seq": head.seq, "hash": head.hash}},
        }
    text = (
        f"database         {database}\n"
        f"schema revision  {revision}\n"
        f"ledger entries   {entries}\n"
        f"ledger head      {head.seq} {head.hash}"
    )
    emit(output, fmt, data, text)
