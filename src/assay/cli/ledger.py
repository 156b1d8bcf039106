"""``assay ledger``: read, export and verify the evidence ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    open_output,
)
from assay.errors import ExitCode, InvalidInputError
from assay.reports.ledger_table import entry_table
from assay.services.ledger_access import LedgerReader, ledger_view
from assay.store import VerificationResult
from assay.store.ledger_file import export_ledger, verify_export

app = typer.Typer(
    help="The tamper-evident evidence ledger: list, export and verify entries.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

# Entry numbers are 64-bit integers in both databases.
LARGEST_SEQ = 2**63 - 1
SinceOption = Annotated[
    int, typer.Option("--since", min=1, max=LARGEST_SEQ, help="Start at this entry number.")
]


@app.command()
def verify(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Verify an exported file offline instead of the database.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="With --file: also check that the export's first entries make the tree this "
            "checkpoint states (assay ledger checkpoint, or the server's).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="With --checkpoint: the public key the checkpoint must be signed with.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Recompute every entry's hash and link. Exit 0 when the chain is intact (and, with
    --checkpoint, the export holds the checkpoint's tree), 1 when not (naming the first bad
    entry or the differing roots)."""
    if (checkpoint is not None or key is not None) and file is None:
        raise InvalidInputError(
            "--checkpoint and --key check an exported file",
            source="--checkpoint",
            expected="--file EXPORT --checkpoint CHECKPOINT [--key KEY.pub]",
        )
    if key is not None and checkpoint is None:
        raise InvalidInputError(
            "--key checks the signature of a checkpoint", source="--key", expected="--checkpoint"
        )
    if file is not None:
        hashes: list[str] = []
        header, result = verify_export(file, hashes if checkpoint is not None else None)
        subject = str(file)
        about: dict[str, object] = {"redacted": header.redacted, "scope": header.scope}
        if checkpoint is not None and result.ok:
            from assay.services.witness import check_export

            about["checkpoint"] = check_export(file, header.since, hashes, checkpoint, key)
    else:
        with existing_store(db) as store:
            result = store.ledger.verify()
            subject = store.database.display_url
        about = {}
    emit(
        output,
        fmt,
        {"subject": subject, **about, **result.to_dict()},
        _describe(result, subject, about),
    )
    if not result.ok:
        raise typer.Exit(ExitCode.GATE_FAILED)


def _describe(result: VerificationResult, subject: str, about: dict[str, Any]) -> Text:
    span = f" ({result.first_seq}-{result.head.seq})" if result.entries else ""
    if result.problem is None:
        text = Text("ledger intact", style="bold green")
        text.append(
            f": {result.entries} entries{span} in {subject}\nhead {result.head.seq} "
            f"{result.head.hash}",
            style="",
        )
        hidden = []
        if result.withheld:
            hidden.append(f"{result.withheld} entries withheld from this reader")
        if result.sealed:
            hidden.append(f"{result.sealed} confidential values sealed")
        if hidden:
            text.append(
                "\n" + " and ".join(hidden) + ": their hashes are checked, their content is not"
                " shown",
                style="",
            )
        if checked := about.get("checkpoint"):
            point = checked["checkpoint"]
            signer = checked["signed_by"]
            text.append(
                f"\nholds the checkpoint's tree: {point['tree_size']} entries, root "
                f"{point['root']} ({point['origin']}; "
                + (f"signed by key {signer[:16]}…)" if signer else "signature not checked)"),
                style="",
            )
        return text
    text = Text(f"ledger broken at entry {result.problem.seq}", style="bold red")
    text.append(f": {result.problem.reason}\n", style="")
    checked = (
        f"{result.entries} entries before it are intact{span}"
        if result.entries
        else ("no entry before it could be checked")
    )
    text.append(f"{checked} ({subject})", style="")
    return text


@app.command()
def export(
    since: SinceOption = 1,
    redacted: Annotated[
        bool,
        typer.Option(
            "--redacted",
            help="Leave confidential values sealed (no disclosures), as an auditor without "
            "internal access receives the ledger; the file still verifies.",
        ),
    ] = False,
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            help="Only this spec's or target's entries in full; every other entry as a stub "
            "(its hashes, no content).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    output: OutputOption = None,
) -> None:
    """Write the ledger as JSON lines (a header, then one entry per line) that
    `assay ledger verify --file` checks without the database."""
    reader = LedgerReader(internal=not redacted, scope=scope)
    with existing_store(db) as store, open_output(output) as stream:
        count, head = export_ledger(
            store.ledger,
            stream,
            since=since,
            view=ledger_view(store, reader),
            redacted=reader.redacted,
            scope=scope,
        )
    if output is not None:
        typer.echo(
            f"exported {count} entries to {output} (ledger head {head.seq} {head.hash})", err=True
        )


@app.command("list")
def list_entries(
    since: SinceOption = 1,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=LARGEST_SEQ, help="At most this many.")
    ] = 100,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only entries of this kind.", show_default=False)
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Show ledger entries in order, from --since on."""
    with existing_store(db) as store:
        entries = list(store.ledger.entries(since=since, limit=limit, kind=kind))
    emit(output, fmt, [entry.to_dict() for entry in entries], entry_table(entries))


@app.command()
def checkpoint(
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Sign the checkpoint with this Ed25519 private key (`assay keys generate`).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    origin: Annotated[
        str, typer.Option("--origin", help="The log's name: the first line, and the key's name.")
    ] = "assay.local/ledger",
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Print the ledger's Merkle tree size and root (RFC 9162) as a checkpoint in the C2SP
    signed-note format, signed when --key is given."""
    from assay.services.transparency import checkpoint as make_checkpoint

    with existing_store(db) as store:
        found = make_checkpoint(store, origin=origin, key=key)
    if fmt is OutputFormat.json:
        emit(output, fmt, found.to_dict())
        return
    with open_output(output) as stream:
        stream.write(found.note)


@app.command()
def prove(
    seq: Annotated[int, typer.Argument(min=1, max=LARGEST_SEQ, help="The entry number.")],
    tree_size: Annotated[
        int | None,
        typer.Option(
            "--tree-size",
            min=1,
            help="Prove against this tree size (default: the whole ledger).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The inclusion proof of entry SEQ (RFC 9162 §2.1.3): leaf_index, tree_size, root and the
    audit path, hex."""
    from assay.services.transparency import prove as make_proof

    with existing_store(db) as store:
        proof = make_proof(store, seq, tree_size)
    emit(output, fmt, proof, _proof_table(proof))


@app.command()
def consistency(
    old_size: Annotated[int, typer.Argument(min=1, max=LARGEST_SEQ, help="The older tree size.")],
    new_size: Annotated[int, typer.Argument(min=1, max=LARGEST_SEQ, help="The newer tree size.")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The consistency proof between two tree sizes (RFC 9162 §2.1.4): both roots and the
    proof, hex."""
    from assay.services.transparency import consistency as make_proof

    with existing_store(db) as store:
        proof = make_proof(store, old_size, new_size)
    emit(output, fmt, proof, _proof_table(proof))


def _proof_table(proof: dict[str, Any]) -> Table:
    """A proof for people: its fields, then the path's nodes in order."""
    table = Table("field", "value")
    for key, value in proof.items():
        if key != "proof":
            table.add_row(key, str(value))
    for index, node in enumerate(proof["proof"]):
        table.add_row(f"proof[{index}]", node)
    return table


@app.command()
def witness(
    url: Annotated[str, typer.Argument(help="The assay server's base URL.")],
    state: Annotated[
        Path,
        typer.Option(
            "--state",
            help="Where the last checkpoint seen (and the pinned key) is kept; created on the "
            "first run.",
            dir_okay=False,
            show_default=False,
        ),
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The server's public key (default: the one pinned in --state, else the one the "
            "server publishes, pinned on first use).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="ASSAY_TOKEN",
            help="A token of the server (any role) to read the ledger's checkpoint with.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Fetch the server's signed checkpoint, check its signature and that it extends the last
    one seen (an RFC 9162 consistency proof), and keep it. Exit 1 when the history was
    rewritten or forked (naming both checkpoints), 2 when the server cannot be read."""
    from assay.services.witness import witness as run_witness

    report = run_witness(url, state, token=token, key=key)
    if report.previous_size is None:
        line = f"first checkpoint of {url}: {report.size} entries, root {report.root}"
    else:
        line = (
            f"consistent: {report.size} entries (root {report.root}) extend the "
            f"{report.previous_size} seen before"
        )
    emit(output, fmt, report.to_dict(), Text(f"{line}; signed by key {report.keyid[:16]}…"))
