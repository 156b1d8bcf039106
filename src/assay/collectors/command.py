"""``command``: a value printed by a program (an evaluation script, a CLI tool)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, model_validator

from assay.collectors.base import (
    CollectContext,
    CollectionError,
    Parameters,
    expand_secrets,
    unreadable_reference,
)
from assay.collectors.confinement import Confinement
from assay.collectors.values import Format, Selector, decode, select

__all__ = ["CommandCollector", "CommandParameters"]

_TAIL = 300  # characters of stderr kept in an error message


class CommandParameters(Parameters):
    """``argv`` (a list, run without a shell) or, with ``shell: true``, one command line;
    ``timeout`` in seconds; ``parse`` the output as json, number or text (auto tries them in
    that order); ``select``; ``cwd`` relative to the spec; extra ``env`` (``${VAR}`` allowed)."""

    argv: list[str] | str
    shell: bool = False
    timeout: float = Field(default=60.0, gt=0)
    parse: Format = "auto"
    select: Selector | None = None
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _argv_fits_shell(self) -> CommandParameters:
        if isinstance(self.argv, str) and not self.shell:
            raise ValueError("argv must be a list of arguments, or set shell: true")
        if not self.argv:
            raise ValueError("argv is empty")
        return self


class CommandCollector:
    """Runs a program and reads what it prints on standard output."""

    kind: ClassVar[str] = "command"
    parameters: ClassVar[type[Parameters]] = CommandParameters

    def collect(self, parameters: CommandParameters, context: CollectContext) -> Any:
        """The program's output, decoded and selected; a non-zero exit, a timeout or a missing
        program is a :class:`CollectionError`."""
        if context.confinement is not None:
            context.confined(
                self.confinement_problem(parameters, context.confinement, context.environ)
            )
        command = parameters.argv if parameters.shell else list(parameters.argv)
        environment = dict(context.environ)
        environment.update(
            {name: expand_secrets(value, context.environ) for name, value in parameters.env.items()}
        )
        cwd = context.resolve(parameters.cwd) if parameters.cwd else context.base_dir
        what = self.describe(parameters)
        try:
            done = subprocess.run(
                command,
                shell=parameters.shell,
                cwd=cwd,
                env=environment,
                capture_output=True,
                text=True,
                timeout=parameters.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CollectionError(f"{what} timed out after {parameters.timeout:g} s") from None
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CollectionError(f"{what} could not start: {reason}") from None
        if done.returncode != 0:
            tail = done.stderr.strip()[-_TAIL:]
            detail = f": {tail}" if tail else ""
            raise CollectionError(f"{what} exited with code {done.returncode}{detail}")
        return select(decode(done.stdout, parameters.parse, what), parameters.select, what)

    def confinement_problem(
        self, parameters: CommandParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A program the administrator did not allow, a shell, a working directory outside
        the spec directory, or a variable the spec may not read."""
        problem = confinement.command_problem(parameters.argv, parameters.shell)
        if problem is None and parameters.cwd is not None:
            problem = confinement.path_problem(parameters.cwd)
        if problem is None:
            problem = unreadable_reference(parameters.env.values(), environ)
        return problem

    def describe(self, parameters: CommandParameters) -> str:
        """``command:ARGS`` as written (``${VAR}`` not expanded)."""
        shown = parameters.argv if isinstance(parameters.argv, str) else shlex.join(parameters.argv)
        return f"command:{shown}"
