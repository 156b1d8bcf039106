"""A stored spec version is checked once per process, known by its content hash: a push finds
it checked already without writing its document out again, and another version, or the same
version with relative paths starting elsewhere, is a version of its own."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from assay.files.spec import spec_from_text
from assay.services.registrations import audited_version, store_spec, stored_spec
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.server import PUSH_SPEC


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_each_version_is_checked_once_and_kept_apart(database_url: str, tmp_path: Path) -> None:
    second = copy.deepcopy(PUSH_SPEC)
    second["version"] = "2.0"
    second["name"] = "Quality, second edition"
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        first_hash = spec_from_text(json.dumps(PUSH_SPEC), "first", tmp_path).hash
        store_spec(store, spec_from_text(json.dumps(PUSH_SPEC), "first", tmp_path))

        one, _ = audited_version(store, "quality", "m@1", tmp_path)
        again, _ = audited_version(store, "quality", "m@1", tmp_path)
        assert again is one
        assert one.hash == first_hash
        assert stored_spec(store, "quality", first_hash, tmp_path) is one  # checked once

        elsewhere = stored_spec(store, "quality", first_hash, tmp_path / "other")
        assert elsewhere is not one
        assert elsewhere.base_dir == tmp_path / "other"

        store_spec(store, spec_from_text(json.dumps(second), "second", tmp_path))
        newest, _ = audited_version(store, "quality", "m@1", tmp_path)
        assert newest.hash != first_hash
        assert (newest.spec.name, newest.spec.version) == ("Quality, second edition", "2.0")
        assert newest is audited_version(store, "quality", "m@1", tmp_path)[0]
        assert stored_spec(store, "quality", first_hash, tmp_path) is one
    finally:
        store.close()
