"""What a user of the Spark engine reads when Spark fails: one message from assay, not the
Java stacks Spark logs. A process of its own (its own JVM, so outside the Spark tests' shared
worker), since the JVM writes its log to the process's standard error."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.engines import malformed_csv_files
from tests.helpers.running import run_process

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="Spark needs Java 17 or newer (.ci/run installs openjdk-17-jre-headless)",
    ),
]


def test_a_malformed_csv_is_one_message_without_javas_stack(tmp_path: Path) -> None:
    """The task that meets the bad row fails in Spark's executor, which logs it with its Java
    stack; the user gets assay's one message."""
    path, said = malformed_csv_files(tmp_path)["late"]
    done = run_process(
        *("probe", "run", "quality.missing_ratio", "--current", str(path)),
        *("--engine", "spark"),
        timeout=300,
    )
    assert done.exit_code == 2, done.stderr
    assert said in done.stderr
    assert "\tat org.apache" not in done.stderr
    assert "ERROR" not in done.stderr
