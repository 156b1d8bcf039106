"""Errors that assay reports to its users, and the process exit code each one maps to.

Every failure a user can cause or fix is an :class:`AssayError`; the CLI prints it as one line
(``assay: error: <where>: <what>; expected <expectation>``) and exits with its ``exit_code``.
Anything else that escapes is a bug and exits with :attr:`ExitCode.INTERNAL_ERROR`. A message
is never longer than :data:`MAX_MESSAGE` characters, whatever the input quoted in it.

Exception tree::

    AssayError                       (exit 4, internal)
    ├── InvalidInputError            (exit 2) usage, files, specifications, answers
    │   ├── ConfigurationError       (exit 2) environment, directories, options
    │   ├── DatabaseUnavailableError (exit 2) malformed/unreachable URL, unwritable file
    │   ├── SchemaVersionError       (exit 2) database written by a newer assay
    │   └── LedgerFileError          (exit 2) an exported ledger file that cannot be read
    ├── GateFailedError              (exit 1) the audited system is non-conformant
    ├── VerificationFailedError      (exit 1) a signature or proof does not hold
    └── EvidenceIncompleteError      (exit 3) collection errors under ``--gate``
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "MAX_MESSAGE",
    "AssayError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "EvidenceIncompleteError",
    "ExitCode",
    "GateFailedError",
    "InvalidInputError",
    "LedgerFileError",
    "SchemaVersionError",
    "VerificationFailedError",
    "shorten",
]

MAX_MESSAGE = 4000


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    note = f"… ({len(text) - limit:,} more characters)"
    return text[: max(limit - len(note), 0)] + note


class ExitCode(IntEnum):
    """Process exit codes of every assay command (DESIGN.md, "Contracts")."""

    OK = 0
    GATE_FAILED = 1
    INVALID_INPUT = 2
    EVIDENCE_INCOMPLETE = 3
    INTERNAL_ERROR = 4


class AssayError(Exception):
    """A failure assay explains to its user.

    ``source`` names the file, URL or option concerned, ``location`` the place inside it (a line
    number or a key path such as ``dimensions[0].requirements[2]``), ``problem`` what is wrong
    and ``expected`` what would be accepted.
    """

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        location: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.location = location
        self.expected = expected
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The explanation: where, what is wrong, what is expected; at most
        :data:`MAX_MESSAGE` characters."""
        where = ": ".join(shorten(part, 300) for part in (self.source, self.location) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.expected:
            text += f"; expected {shorten(self.expected, 500)}"
        return shorten(text, MAX_MESSAGE)


class InvalidInputError(AssayError):
    """The user's input (arguments, files, configuration) cannot be used as given;
    ``problems`` lists each ``where: what`` when there are several."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        location: str | None = None,
        expected: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.problems = list(problems or [])
        super().__init__(problem, source=source, location=location, expected=expected)


class ConfigurationError(InvalidInputError):
    """An environment variable, option or directory assay was pointed at cannot be used."""


class DatabaseUnavailableError(AssayError):
    """The database URL is malformed, the server does not answer, or the file cannot be written.

    Exit code 2 like invalid input (the database is the user's to name), but not an
    :class:`InvalidInputError`: code that refuses a caller's input on one must not take a
    database gone mid-request for it (the server answers it 503, naming nothing of it)."""

    exit_code = ExitCode.INVALID_INPUT


class SchemaVersionError(InvalidInputError):
    """The database schema was written by a newer assay than this one."""


class LedgerFileError(InvalidInputError):
    """An exported ledger file cannot be read as JSON lines of ledger entries."""


class GateFailedError(AssayError):
    """The audited system does not conform to its specification."""

    exit_code = ExitCode.GATE_FAILED


class VerificationFailedError(AssayError):
    """A signature or proof was checked and does not hold (exit 1, like a failed gate)."""

    exit_code = ExitCode.GATE_FAILED


class EvidenceIncompleteError(AssayError):
    """Some evidence could not be collected, so a gate cannot decide."""

    exit_code = ExitCode.EVIDENCE_INCOMPLETE
