"""``assay keys generate``, ``assay sign`` and ``assay verify``: Ed25519 keys, DSSE envelopes
of in-toto statements, and checking them offline."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
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
)

__all__ = ["keys_app", "sign", "verify"]

keys_app = typer.Typer(
    help="Signing keys: Ed25519, PEM files.", no_args_is_help=True, rich_markup_mode="markdown"
)


@keys_app.command()
def generate(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The private key file to write (its public key goes to FILE.pub).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing key files.")] = False,
) -> None:
    """Write a new Ed25519 private key (PEM, PKCS#8, mode 0600) and its public key
    (FILE.pub, PEM SubjectPublicKeyInfo); print the key id."""
    from assay.files.keys import generate_key

    public, keyid = generate_key(output, force=force)
    typer.echo(f"wrote {output} (private, mode 600) and {public}; key id {keyid}")


class Kind(StrEnum):
    """What is signed: the in-toto predicate type follows from it."""

    report = "report"
    certificate = "certificate"
    checkpoint = "checkpoint"
    file = "file"


def sign(
    file: Annotated[Path, typer.Argument(help="The file to sign.", dir_okay=False)],
    key: Annotated[
        Path,
        typer.Option("--key", help="The private key file.", dir_okay=False, show_default=False),
    ],
    kind: Annotated[
        Kind, typer.Option("--kind", help="What the file is (sets the predicate type).")
    ] = Kind.report,
    append: Annotated[
        bool,
        typer.Option("--append", help="Add a signature (a countersignature) to FILE.dsse.json."),
    ] = False,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle", help="The envelope file (default: FILE.dsse.json).", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing envelope.")] = False,
) -> None:
    """Sign FILE: a DSSE envelope (payload type application/vnd.in-toto+json) of an in-toto
    Statement v1 whose subject is the file's SHA-256, written to FILE.dsse.json."""
    from assay.services.signing import sign_file

    signed = sign_file(file, key, kind=kind.value, append=append, bundle=bundle, force=force)
    typer.echo(
        f"wrote {signed.bundle}: {signed.signatures} signature(s); sha256 {signed.sha256}; "
        f"key id {signed.keyid}"
    )


def verify(
    file: Annotated[Path, typer.Argument(help="The signed file.", dir_okay=False)],
    key: Annotated[
        Path,
        typer.Option(
            "--key", help="The signer's public key (KEY.pub).", dir_okay=False, show_default=False
        ),
    ],
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle", help="The envelope file (default: FILE.dsse.json).", show_default=False
        ),
    ] = None,
) -> None:
    """Check FILE against its envelope: exit 0 when a signature verifies with the key and the
    file is the signed subject, 1 when not, 2 for unusable input."""
    from assay.services.signing import verify_file

    verified = verify_file(file, key, bundle)
    typer.echo(
        f"verified {file}: sha256 {verified.sha256} is the subject of {verified.predicate_type}, "
        f"signed by key {verified.keyid} ({verified.signatures} signature(s) in the envelope)"
    )


@keys_app.command("list")
def list_keys(
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="List the keys a server publishes (/.well-known/assay/keys.json) instead of "
            "those recorded in the local database.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The server signing keys the ledger records (signing.key entries), oldest first: key
    id, since when, why, and which one is current."""
    if server is not None:
        from assay.integrations.audit_api import AuditApiClient

        with AuditApiClient(server, None) as api:
            rows = api.json_list("/.well-known/assay/keys.json")
    else:
        from assay.services.server_key import signing_keys

        with existing_store(db) as store:
            rows = signing_keys(store)
    table = Table("key id", "since", "ledger entry", "reason", "current")
    for row in rows:
        table.add_row(
            str(row.get("keyid")),
            str(row.get("since")),
            str(row.get("seq")),
            str(row.get("reason") or ""),
            "yes" if row.get("current") else "",
        )
    emit(output, fmt, rows, table)


@keys_app.command()
def rotate(
    key: Annotated[
        Path,
        typer.Argument(
            help="The server's key file (as assay serve --signing-key names it).", dir_okay=False
        ),
    ],
    db: DbOption = None,
) -> None:
    """Replace the server's signing key with a new one and record the rotation in the ledger;
    the old key file is kept as KEY.<time>.retired. Restart the server to sign with the new
    key."""
    from assay.services.server_key import rotate_key

    with existing_store(db) as store:
        new, retired = rotate_key(store, key)
    kept = f"; the old key is kept as {retired}" if retired else ""
    typer.echo(f"{key} now holds key {new.keyid}{kept}; recorded in the ledger")
