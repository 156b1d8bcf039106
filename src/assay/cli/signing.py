"""``assay keys generate``, ``assay sign`` and ``assay verify``: Ed25519 keys, DSSE envelopes
of in-toto statements, and checking them offline."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

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
