"""The table of library exceptions (integrations/errors.py): complete for every library it
lists, and each translation what a user should read."""

from __future__ import annotations

import importlib
import inspect
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import jmespath
import psycopg
import psycopg.errors
import pytest
import yaml

from assay.errors import (
    AssayError,
    ConfigurationError,
    DatabaseUnavailableError,
    InvalidInputError,
)
from assay.integrations.errors import INTERNAL, LIBRARIES, LIBRARY_ERRORS, translate
from tests.helpers.server import refused_port


def classes_of(module_name: str) -> list[type[BaseException]]:
    module = importlib.import_module(module_name)
    root = module_name.split(".")[0]
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException)
        and not issubclass(cls, Warning)
        and cls.__module__.split(".")[0] == root
    ]


@pytest.mark.parametrize("module_name", LIBRARIES)
def test_every_exception_of_every_library_is_translated_or_marked_internal(
    module_name: str,
) -> None:
    unknown = []
    for cls in classes_of(module_name):
        keys = [(base.__module__, base.__qualname__) for base in cls.__mro__]
        if not any(key in LIBRARY_ERRORS or key in INTERNAL for key in keys):
            unknown.append(cls.__qualname__)
    assert unknown == [], f"{module_name}: add to LIBRARY_ERRORS or INTERNAL: {unknown}"


def test_every_entry_of_the_table_names_a_real_class() -> None:
    real = {
        (base.__module__, base.__qualname__)
        for module_name in LIBRARIES
        for cls in classes_of(module_name)
        for base in cls.__mro__
    }
    assert set(LIBRARY_ERRORS) - real == set()
    assert set(INTERNAL) - real == set()


def raised(call: Any) -> BaseException:
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def test_real_failures_become_one_clear_error(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    cases: list[tuple[BaseException, type[AssayError], str]] = [
        (raised(lambda: yaml.safe_load("a: [")), InvalidInputError, "not valid YAML"),
        (raised(lambda: json.loads("{")), InvalidInputError, "not valid JSON"),
        (raised(lambda: jmespath.compile("[[")), InvalidInputError, "not a JMESPath expression"),
    ]
    with refused_port() as port:
        error = raised(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=2))
    cases.append((error, ConfigurationError, "cannot reach the server"))
    engine = create_engine(f"sqlite:///{tmp_path}")  # a directory is no database
    error = raised(lambda: engine.connect().execute(text("SELECT 1")))
    engine.dispose()
    cases.append((error, DatabaseUnavailableError, "the database failed"))
    with refused_port() as port:
        error = raised(lambda: psycopg.connect(host="127.0.0.1", port=port, connect_timeout=5))
    cases.append((error, DatabaseUnavailableError, "the database failed"))
    for error, kind, fragment in cases:
        found = translate(error)
        assert isinstance(found, kind), (error, found)
        assert found.message.startswith(fragment), found.message
        assert "\n" not in found.message


def test_a_bug_stays_an_internal_error() -> None:
    from sqlalchemy.exc import IntegrityError

    assert translate(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE"))) is None
    assert translate(ZeroDivisionError()) is None
    assert translate(psycopg.errors.UniqueViolation("duplicate key")) is None
