"""``junit``: test results from JUnit XML, which nearly every test runner writes (pytest
``--junitxml``, Maven Surefire, Gradle, Jest, go-junit-report, …).

``select`` is one of ``tests``, ``passed``, ``failed``, ``errors``, ``skipped``, ``pass_rate``
(passed / (tests - skipped)) or ``time`` (seconds); without it the value is an object of them
all (for measurements that each ``select`` one, or ``pass_rate`` null when no test ran);
``suite`` limits the count to the test
suites of that name (at any depth). Counts come from the ``testcase`` elements (a case with a
``failure``, ``error`` or ``skipped`` child is that, otherwise passed); a suite that lists no
cases counts by its attributes. The XML is parsed with defusedxml: entity expansion and
external references are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree  # type: ignore[import-untyped]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]
from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.file import ReadsSpecFile, read_file

__all__ = ["JunitCollector", "JunitParameters", "junit_counts"]

Field_ = Literal["tests", "passed", "failed", "errors", "skipped", "pass_rate", "time"]


class JunitParameters(Parameters):
    """``path`` of the XML (relative to the spec), ``select`` what to count, ``suite`` a test
    suite's name."""

    path: str = Field(min_length=1)
    select: Field_ | None = None
    suite: str | None = Field(default=None, min_length=1)


@dataclass
class Counts:
    """Test outcomes added up."""

    tests: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0

    @property
    def passed(self) -> int:
        """Tests that neither failed, erred nor were skipped."""
        return self.tests - self.failed - self.errors - self.skipped

    def figures(self) -> dict[str, int | float | None]:
        """Every figure by name."""
        ran = self.tests - self.skipped
        return {
            "tests": self.tests,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "pass_rate": self.passed / ran if ran else None,
            "time": self.time,
        }

    def value(self, what: str) -> int | float:
        """One figure by name (see the module docstring)."""
        if what == "pass_rate":
            ran = self.tests - self.skipped
            if ran == 0:
                raise CollectionError("no test ran, so there is no pass rate")
            return self.passed / ran
        figure: int | float = getattr(self, what)
        return figure


def _number(element: Element, name: str) -> float:
    try:
        return float(element.get(name) or 0)
    except ValueError:
        return 0.0


def _suites(root: Element) -> Iterator[Element]:
    """``root`` (when it is a suite) and every suite below it."""
    return root.iter("testsuite")


def _add(counts: Counts, suite: Element) -> None:
    cases = suite.findall("testcase")
    if not cases:
        if suite.find("testsuite") is None:  # a leaf suite that lists no cases
            counts.tests += int(_number(suite, "tests"))
            counts.failed += int(_number(suite, "failures"))
            counts.errors += int(_number(suite, "errors"))
            counts.skipped += int(_number(suite, "skipped") or _number(suite, "disabled"))
            counts.time += _number(suite, "time")
        return
    for case in cases:
        counts.tests += 1
        counts.time += _number(case, "time")
        if case.find("error") is not None:
            counts.errors += 1
        elif case.find("failure") is not None:
            counts.failed += 1
        elif case.find("skipped") is not None:
            counts.skipped += 1


def junit_counts(text: str, suite: str | None, shown: str) -> Counts:
    """The counts of the JUnit XML ``text`` (of every suite, or of the suites named ``suite``)."""
    try:
        root = ElementTree.fromstring(text)
    except DefusedXmlException as error:
        raise CollectionError(f"{shown}: refused XML ({type(error).__name__})") from None
    except ElementTree.ParseError as error:
        raise CollectionError(f"{shown} is not XML: {error}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise CollectionError(
            f"{shown} is not JUnit XML: the root is <{root.tag}>, expected <testsuites> or "
            "<testsuite>"
        )
    counts = Counts()
    tops = [s for s in _suites(root) if suite is None or s.get("name") == suite]
    if suite is not None and not tops:
        names = sorted({str(s.get("name")) for s in _suites(root)})
        raise CollectionError(f"{shown} has no test suite {suite!r} (it has {', '.join(names)})")
    # A named suite counts with the suites nested in it, each suite once.
    chosen = {id(element): element for top in tops for element in _suites(top)}
    for element in chosen.values():
        _add(counts, element)
    return counts


class JunitCollector(ReadsSpecFile):
    """Counts test outcomes in a JUnit XML file beside the spec."""

    kind: ClassVar[str] = "junit"
    parameters: ClassVar[type[Parameters]] = JunitParameters

    def collect(self, parameters: JunitParameters, context: CollectContext) -> Any:
        """The figure ``select`` names."""
        _, shown, text = read_file(parameters.path, context)
        counts = junit_counts(text, parameters.suite, shown)
        if parameters.select is None:
            return counts.figures()
        return counts.value(parameters.select)

    def describe(self, parameters: JunitParameters) -> str:
        """``junit:PATH#SELECT`` (and the suite)."""
        suite = f" (suite {parameters.suite})" if parameters.suite else ""
        selected = f"#{parameters.select}" if parameters.select else ""
        return f"junit:{parameters.path}{selected}{suite}"
