"""What a command or a CI action does: runs tests, lints, checks types, scans for
vulnerabilities or secrets, or gates on an assay audit."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CheckKind", "kinds_of_action", "kinds_of_command"]


class CheckKind(StrEnum):
    """The kinds of check a pipeline can run."""

    test = "test"
    lint = "lint"
    type_check = "type-check"
    security_scan = "security-scan"
    assay_gate = "assay-gate"


_PROGRAMS: dict[str, tuple[CheckKind, str]] = {
    "pytest": (CheckKind.test, "pytest"),
    "py.test": (CheckKind.test, "pytest"),
    "unittest": (CheckKind.test, "unittest"),
    "nose2": (CheckKind.test, "nose2"),
    "behave": (CheckKind.test, "behave"),
    "ward": (CheckKind.test, "ward"),
    "flake8": (CheckKind.lint, "flake8"),
    "pylint": (CheckKind.lint, "pylint"),
    "pycodestyle": (CheckKind.lint, "pycodestyle"),
    "pydocstyle": (CheckKind.lint, "pydocstyle"),
    "hadolint": (CheckKind.lint, "hadolint"),
    "yamllint": (CheckKind.lint, "yamllint"),
    "eslint": (CheckKind.lint, "eslint"),
    "mypy": (CheckKind.type_check, "mypy"),
    "dmypy": (CheckKind.type_check, "mypy"),
    "pyright": (CheckKind.type_check, "pyright"),
    "basedpyright": (CheckKind.type_check, "pyright"),
    "pytype": (CheckKind.type_check, "pytype"),
    "pyre": (CheckKind.type_check, "pyre"),
    "tsc": (CheckKind.type_check, "tsc"),
    "bandit": (CheckKind.security_scan, "bandit"),
    "pip-audit": (CheckKind.security_scan, "pip-audit"),
    "pip_audit": (CheckKind.security_scan, "pip-audit"),
    "safety": (CheckKind.security_scan, "safety"),
    "trivy": (CheckKind.security_scan, "trivy"),
    "grype": (CheckKind.security_scan, "grype"),
    "semgrep": (CheckKind.security_scan, "semgrep"),
    "gitleaks": (CheckKind.security_scan, "gitleaks"),
    "trufflehog": (CheckKind.security_scan, "trufflehog"),
    "osv-scanner": (CheckKind.security_scan, "osv-scanner"),
    "detect-secrets": (CheckKind.security_scan, "detect-secrets"),
    "snyk": (CheckKind.security_scan, "snyk"),
    "checkov": (CheckKind.security_scan, "checkov"),
}

_ACTIONS: dict[str, tuple[CheckKind, str]] = {
    "github/codeql-action/analyze": (CheckKind.security_scan, "codeql"),
    "github/codeql-action": (CheckKind.security_scan, "codeql"),
    "pypa/gh-action-pip-audit": (CheckKind.security_scan, "pip-audit"),
    "aquasecurity/trivy-action": (CheckKind.security_scan, "trivy"),
    "returntocorp/semgrep-action": (CheckKind.security_scan, "semgrep"),
    "semgrep/semgrep-action": (CheckKind.security_scan, "semgrep"),
    "gitleaks/gitleaks-action": (CheckKind.security_scan, "gitleaks"),
    "anchore/scan-action": (CheckKind.security_scan, "grype"),
    "snyk/actions": (CheckKind.security_scan, "snyk"),
    "google/osv-scanner-action": (CheckKind.security_scan, "osv-scanner"),
    "pre-commit/action": (CheckKind.lint, "pre-commit"),
    "astral-sh/ruff-action": (CheckKind.lint, "ruff"),
    "chartboost/ruff-action": (CheckKind.lint, "ruff"),
    "jakebailey/pyright-action": (CheckKind.type_check, "pyright"),
    "psf/black": (CheckKind.lint, "black"),
}


def kinds_of_command(words: list[str]) -> list[tuple[CheckKind, str]]:
    """The checks a command (program and arguments, wrappers peeled off) runs, with the tool's
    name; an empty list for anything else. Formatters count as linting only in check mode."""
    if not words:
        return []
    program, args = words[0], words[1:]
    if program in _PROGRAMS:
        return [_PROGRAMS[program]]
    if program == "ruff":
        if not args or args[0] == "check" or (args[0] == "format" and "--check" in args):
            return [(CheckKind.lint, "ruff")]
        return []
    if program in ("black", "isort") and ("--check" in args or "--check-only" in args):
        return [(CheckKind.lint, program)]
    if program == "pre-commit" and args[:1] == ["run"]:
        return [(CheckKind.lint, "pre-commit")]
    if program == "coverage" and args[:1] == ["run"]:
        return kinds_of_command(args[1:]) or [(CheckKind.test, "coverage")]
    if program == "assay" and args[:2] == ["audit", "run"] and "--gate" in args:
        return [(CheckKind.assay_gate, "assay")]
    if program in ("npm", "yarn", "pnpm") and args[:1] == ["test"]:
        return [(CheckKind.test, program)]
    return []


def kinds_of_action(name: str) -> list[tuple[CheckKind, str]]:
    """The checks a CI action (``owner/repo/path@ref``) runs, by its name without the ref."""
    bare = name.split("@", 1)[0].lower()
    for prefix, kind in _ACTIONS.items():
        if bare == prefix or bare.startswith(prefix + "/"):
            return [kind]
    return []
