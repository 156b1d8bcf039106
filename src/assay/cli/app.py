"""The ``assay`` command: the root application, its groups, and the mapping of errors to exit
codes (DESIGN.md, "Contracts")."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.exceptions import TyperException

from assay import __version__
from assay.cli import alerts as alerts_commands
from assay.cli import audit as audit_commands
from assay.cli import db as db_commands
from assay.cli import events as events_commands
from assay.cli import ledger as ledger_commands
from assay.cli import llm as llm_commands
from assay.cli import maturity as maturity_commands
from assay.cli import metrics as metrics_commands
from assay.cli import probe as probe_commands
from assay.cli import scan as scan_commands
from assay.cli import signing as signing_commands
from assay.cli import token as token_commands
from assay.demo.run import run_demo
from assay.errors import AssayError, ExitCode, InvalidInputError
from assay.integrations.errors import translate
from assay.store.config import assay_home

__all__ = ["app", "main"]

app = typer.Typer(
    name="assay",
    help="ML governance: MLOps maturity assessment, continuous audit-based certification and "
    "a tamper-evident evidence ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """assay: how mature is our MLOps practice, and can we prove our ML system meets its
    quality requirements?"""


app.add_typer(db_commands.app, name="db")
app.add_typer(ledger_commands.app, name="ledger")
app.add_typer(maturity_commands.app, name="maturity")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(probe_commands.app, name="probe")
app.add_typer(token_commands.app, name="token")

app.add_typer(events_commands.app, name="events")
app.add_typer(metrics_commands.app, name="metrics")
app.add_typer(llm_commands.app, name="llm")
app.add_typer(alerts_commands.app, name="alerts")
app.add_typer(scan_commands.app, name="scan")
app.add_typer(signing_commands.keys_app, name="keys")
app.command("sign")(signing_commands.sign)
app.command("verify")(signing_commands.verify)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="The port to listen on (0: any free port).")
    ] = 8080,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (default as for every command).", show_default=False
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes (more than one needs PostgreSQL)."),
    ] = 1,
    spec_dir: Annotated[
        Path,
        typer.Option(
            "--spec-dir",
            help="Where relative paths in uploaded specifications start: the only directory "
            "their files are read from.",
            file_okay=False,
            exists=True,
        ),
    ] = Path("."),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="A server configuration file (YAML) whose allow: section names the hosts, "
            "databases, commands and variables uploaded specs may use (docs/server.md).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, help="The largest request body, in bytes.")
    ] = 16 * 1024 * 1024,
    scheduler: Annotated[
        bool, typer.Option(help="Run scheduled assessments in this server.")
    ] = True,
    tick: Annotated[
        float, typer.Option(min=0.05, help="Seconds between the scheduler's passes.")
    ] = 1.0,
    slos: Annotated[
        Path | None,
        typer.Option(
            "--slos",
            help="An SLO file (docs/alerts.md): evaluated every --alert-interval seconds, its "
            "alerts' actions run by the server.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    alert_interval: Annotated[
        float, typer.Option("--alert-interval", min=1, help="Seconds between SLO evaluations.")
    ] = 30.0,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices", help="The LLM price table (default: the one shipped).", show_default=False
        ),
    ] = None,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            envvar="ASSAY_SIGNING_KEY",
            help="The server's Ed25519 key (PEM, mode 600), which signs checkpoints, reports and "
            "certificates; generated there when absent (default: server-signing.key in the "
            "data directory).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    ledger_origin: Annotated[
        str,
        typer.Option("--ledger-origin", help="The log name the ledger's checkpoints carry."),
    ] = "assay.local/ledger",
) -> None:
    """Serve the Audit API (/api/v1, token-guarded), public conformity status (/status/TARGET,
    .json) and badges (/badge/TARGET.svg), Prometheus /metrics and the dashboard (/ui), with
    the OpenAPI document at /openapi.json; run scheduled assessments."""
    import uvicorn

    from assay.collectors.confinement import Allowances, load_allowances
    from assay.server.listening import SHARED_PORTS, listen
    from assay.server.settings import SERVE_GC_YOUNG_THRESHOLD, ServerSettings
    from assay.server.signing import start_signing
    from assay.store import open_store
    from assay.store.config import choose_database

    choice = choose_database(db)
    if workers > 1 and not choice.url.startswith("postgresql"):
        raise InvalidInputError(
            f"{workers} workers need a database several processes can write at once",
            source="--workers",
            expected="--workers 1 on SQLite, or a PostgreSQL --db",
        )
    spec_base = spec_dir.resolve()
    if spec_base == Path(spec_base.anchor):
        raise InvalidInputError(
            f"{spec_base} would let uploaded specs read every file of the machine",
            source="--spec-dir",
            expected="the directory that holds the files specs may read",
        )
    allowances = load_allowances(config) if config is not None else Allowances()
    if slos is not None:
        from assay.files.slo import load_slo_file

        load_slo_file(slos)  # a bad SLO file is refused before the server starts
    if prices is not None:
        from assay.catalog.metrics import load_prices

        load_prices(prices)
    from assay.exports.checkpoint import checkpoint_text

    try:
        checkpoint_text(ledger_origin, 0, bytes(32))
    except ValueError as error:
        raise InvalidInputError(str(error), source="--ledger-origin") from None
    shared = workers > 1 and SHARED_PORTS  # each worker then listens on a socket of its own
    sock = listen(host, port, shared=shared)  # a busy port or a bad host is refused first
    try:
        settings = ServerSettings.for_database(
            choice,
            spec_dir=str(spec_base),
            max_body_bytes=max_body,
            scheduler=scheduler,
            tick=tick,
            allow=allowances.to_dict(),
            slo_file=str(slos.resolve()) if slos is not None else None,
            alert_interval=alert_interval,
            llm_prices=str(prices.resolve()) if prices is not None else None,
            signing_key=str(signing_key.resolve()) if signing_key is not None else None,
            ledger_origin=ledger_origin,
            freeze_startup_objects=True,
            gc_young_threshold=SERVE_GC_YOUNG_THRESHOLD,
        )
        store = open_store(choice)  # migrate once, and report a bad database before serving
        try:
            # The key is made, checked and recorded once, before any worker starts.
            start_signing(store, settings)
        finally:
            store.close()
        settings.to_environment()
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        typer.echo(f"assay Audit API on http://{shown}:{bound_port} (docs at /docs)", err=True)
        target = "assay.server.app:create_app_from_environment"
        if workers == 1:
            # Served on the socket object itself, so that it stays a TCP socket to asyncio.
            served = uvicorn.Config(target, factory=True, log_level="warning")
            uvicorn.Server(served).run(sockets=[sock])
        elif shared:
            from assay.server.workers import serve_workers

            serve_workers(target, sock, workers)
        else:
            # Worker processes open the listening socket by its descriptor.
            uvicorn.run(
                target, factory=True, fd=sock.fileno(), workers=workers, log_level="warning"
            )
    finally:
        sock.close()


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Where to put the demo store and files (default: demo/ in $ASSAY_HOME).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show what assay does, step by step, on a fresh throw-away store."""
    target = directory if directory is not None else assay_home() / "demo"
    # Hint with the command as typed, e.g. .venv/bin/assay after `make demo`.
    program = sys.argv[0] if Path(sys.argv[0]).name == "assay" else "assay"
    # soft_wrap: paths and commands stay on one line, so they can be copied.
    if not run_demo(target, Console(highlight=False, soft_wrap=True), program):
        raise typer.Exit(ExitCode.INTERNAL_ERROR)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors become one line on stderr, never a
    traceback (set ASSAY_DEBUG=1 to see one for an internal error)."""
    try:
        # Not standalone: usage errors come back here, to be said in one line like the others.
        result = app(args=argv, prog_name="assay", standalone_mode=False)
    except TyperException as error:  # Typer's (vendored Click's) usage and file errors
        if type(error).__name__ == "NoArgsIsHelpError":
            error.show()  # type: ignore[attr-defined]  # prints the help, as Click does
            return int(error.exit_code)
        context = getattr(error, "ctx", None)
        where = f" (see {context.command_path} --help)" if context is not None else ""
        typer.echo(f"assay: error: {error.format_message()}{where}", err=True)
        return int(error.exit_code)
    except typer.Abort:
        typer.echo("assay: interrupted", err=True)
        return 130
    except SystemExit as done:
        return _exit_code(done.code)
    except AssayError as error:
        typer.echo(f"assay: error: {error.message}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        typer.echo("assay: interrupted", err=True)
        return 130
    except Exception as error:
        found = translate(error)
        if found is not None:  # a library's failure that no module said more about
            typer.echo(f"assay: error: {found.message}", err=True)
            return found.exit_code
        # A bug: say so plainly, keep the details for those who ask.
        if os.environ.get("ASSAY_DEBUG"):
            traceback.print_exc()
        typer.echo(
            f"assay: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in assay; rerun with ASSAY_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        return ExitCode.INTERNAL_ERROR
    return result if isinstance(result, int) else ExitCode.OK


def _exit_code(code: object) -> int:
    if code is None:
        return ExitCode.OK
    if isinstance(code, int):
        return code
    typer.echo(str(code), err=True)
    return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
