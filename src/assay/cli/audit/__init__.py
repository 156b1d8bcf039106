"""``assay audit``: conformity specifications, audit runs, status and certificates. One module
per resource holds its commands; they are registered here, in the order ``--help`` lists them."""

from assay.cli.audit import (
    certificates,
    coverage,
    exports,
    history,
    records,
    run,
    specs,
    status,
)
from assay.cli.audit.app import app

for _command in (
    specs.validate,
    specs.schema,
    run.run,
    records.attest,
    records.waive,
    status.status,
    certificates.certify,
    certificates.revoke,
    certificates.certificates,
    history.history,
    coverage.coverage,
):
    app.command()(_command)
app.command("export")(exports.export)
app.command("export-spec")(exports.export_spec)

__all__ = ["app"]
