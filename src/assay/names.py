"""Names people give things (projects, rounds, respondents, who signs an action, token names,
audit targets): what is accepted, and how a stored name is shown.

A name is 1-200 characters, printable (no control characters, no line breaks, no terminal
escape sequences), without leading or trailing spaces. A *target* (the system audited, such as
``credit-model@3``) is also part of URLs (``/status/TARGET``), so it is limited further to
letters and digits (any script) and ``. _ - @ : + ~``, with single spaces inside.
"""

from __future__ import annotations

import re

from assay.errors import InvalidInputError

__all__ = [
    "MAX_NAME",
    "TARGET_CHARACTERS",
    "TARGET_PATTERN",
    "check_name",
    "check_target",
    "name_problem",
    "printable",
]

MAX_NAME = 200
TARGET_CHARACTERS = "letters, digits and . _ - @ : + ~ (spaces only inside)"
TARGET_PATTERN = r"^[\w.@:+~-](?:[\w .@:+~-]{0,198}[\w.@:+~-])?$"
_TARGET = re.compile(TARGET_PATTERN)


def name_problem(text: object, what: str = "name") -> tuple[str, str] | None:
    """What is wrong with ``text`` as a name and what is expected, or None when it is valid."""
    if not isinstance(text, str) or not text.strip():
        return f"the {what} is empty", f"a {what}"
    if len(text) > MAX_NAME:
        return f"the {what} is {len(text)} characters long", f"at most {MAX_NAME} characters"
    if not text.isprintable():
        shown = printable(text[:80])
        return (
            f"the {what} {shown!r} holds control characters or line breaks",
            "printable characters only",
        )
    if text != text.strip():
        return f"the {what} {text!r} starts or ends with spaces", "no leading or trailing spaces"
    return None


def check_name(text: str, *, source: str, what: str = "name", location: str | None = None) -> str:
    """``text`` when it is a valid name; :class:`InvalidInputError` naming ``source`` (the option,
    field or file) and what is wrong otherwise."""
    problem = name_problem(text, what)
    if problem is not None:
        raise InvalidInputError(problem[0], source=source, location=location, expected=problem[1])
    return text


def check_target(text: str, *, source: str) -> str:
    """``text`` when it is a valid audit target name (see the module)."""
    check_name(text, source=source, what="target")
    if not _TARGET.match(text) or "  " in text:
        raise InvalidInputError(
            f"the target {text!r} has characters a target cannot have",
            source=source,
            expected=f"a target made of {TARGET_CHARACTERS}",
        )
    return text


def printable(text: str) -> str:
    """``text`` with every non-printable character shown as an escape (``\\x1b``, ``\\n``), for
    showing names stored before they were checked, or payloads, on a terminal."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
