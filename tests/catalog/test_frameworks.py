"""The built-in frameworks, checked against the source documents, and user framework files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assay.catalog import builtin_framework_ids, load_framework
from assay.catalog.validation import DocumentInvalidError
from assay.errors import InvalidInputError
from assay.maturity.frameworks import FrameworkKind
from tests.helpers.frameworks import write_user_framework
from tests.helpers.seeds import iml4e_table_rows, seed_text

IML4E_AREAS = {
    "people": range(1, 6),
    "data": range(6, 11),
    "model": range(11, 17),
    "release": range(17, 24),
    "monitoring": range(24, 28),
    "conformity": range(28, 30),
    "tools": range(30, 33),
}


def normalized(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def test_builtin_frameworks_load() -> None:
    assert builtin_framework_ids() == (
        "ai-first",
        "iml4e",
        "marvelous",
        "microsoft",
        "ml-test-score",
    )
    for framework_id in builtin_framework_ids():
        framework = load_framework(framework_id)
        assert framework.source.title
        assert framework.source.attribution
        assert [step.level for step in framework.scale] == (
            []
            if framework.kind in (FrameworkKind.checklist, FrameworkKind.rubric)
            else [0, 1, 2, 3, 4]
        )


def test_iml4e_has_seven_areas_and_topics_1_to_32_in_the_sources_areas() -> None:
    framework = load_framework("iml4e")
    assert {area.id: [int(t.id) for t in area.topics] for area in framework.areas} == {
        area: list(numbers) for area, numbers in IML4E_AREAS.items()
    }
    assert [step.name for step in framework.scale] == [
        "No MLOps",
        "DevOps but no MLOps",
        "Automated Training",
        "Automated Model Deployment",
        "Full MLOps Automated Operations",
    ]


def test_iml4e_describes_exactly_the_levels_the_source_describes() -> None:
    source = iml4e_table_rows()
    assert sorted(source, key=int) == [str(n) for n in range(1, 33)]
    framework = load_framework("iml4e")
    for topic in framework.topics:
        assert set(topic.descriptors) == set(source[topic.id]), f"topic {topic.id}"


def test_iml4e_origins_follow_the_ms_marks_of_the_source() -> None:
    text = seed_text("001")
    marked = set(re.findall(r"^(\d+)\.\t[^\t]*\(MS\)\t", text, flags=re.MULTILINE))
    framework = load_framework("iml4e")
    assert {t.id for t in framework.topics if t.origin == "MS"} == marked
    assert {t.origin for t in framework.topics if t.id not in marked} == {"IML4E"}


def test_iml4e_descriptors_are_in_our_own_words() -> None:
    source = iml4e_table_rows()
    for topic in load_framework("iml4e").topics:
        for level, text in topic.descriptors.items():
            original = source[topic.id][level]
            assert normalized(text) != normalized(original), f"topic {topic.id} level {level}"


def marvelous_source_statements() -> dict[str, list[str]]:
    """Section number → the numbered statements under it, counted in the source text."""
    text = seed_text("002")
    body = text[text.index("# 1. Documentation") : text.index("## Sign up to discover")]
    sections: dict[str, list[str]] = {}
    current = ""
    for line in body.splitlines():
        heading = re.match(r"^# (\d+)\. ", line)
        if heading:
            current = heading.group(1)
            sections[current] = []
        elif re.match(r"^  \d+\. ", line):
            sections[current].append(line.strip())
    return sections


def test_every_marvelous_statement_is_present() -> None:
    source = marvelous_source_statements()
    assert sum(len(items) for items in source.values()) == 56
    framework = load_framework("marvelous")
    assert {s.id: len(s.statements) for s in framework.sections} == {
        number: len(items) for number, items in source.items()
    }
    assert [s.id for s in framework.sections if s.baseline] == ["1", "2", "3", "4"]
    groups = [g.id for s in framework.sections for g in s.groups if g.id]
    assert groups == ["1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "4.3", "4.4"]
    assert framework.statements[0].id == "1.1.1"
    assert [s.id for s in framework.sections[4].statements] == [f"5.{n}" for n in range(1, 8)]
    originals = {normalized(re.sub(r"^\d+\.\s*", "", item)) for v in source.values() for item in v}
    assert not originals & {normalized(s.text) for s in framework.statements}


def test_ai_first_has_four_planes_on_five_stages() -> None:
    framework = load_framework("ai-first")
    assert [area.id for area in framework.areas] == ["process", "platform", "team", "product"]
    assert [step.name for step in framework.scale] == [
        "Initial",
        "Emerging",
        "Scaling",
        "Optimizing",
        "Leading",
    ]
    text = seed_text("004")
    for step in framework.scale:
        assert step.name in text
    for topic in framework.topics:
        assert sorted(topic.descriptors) == [0, 1, 2, 3, 4]


def test_an_unknown_framework_id_names_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="unknown framework 'cmmi'") as raised:
        load_framework("cmmi")
    assert "iml4e" in str(raised.value)


def test_a_users_framework_file_works_like_a_builtin(tmp_path: Path) -> None:
    framework = load_framework(str(write_user_framework(tmp_path / "ours.yaml")))
    assert framework.topics[0].descriptors == {0: "none", 3: "most", 4: "all"}
    assert framework.level_name(2) == "Automated Training"


def test_an_invalid_framework_file_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """id: bad
name: Bad
version: "1"
kind: levels
level_names: marvelous
source: {title: t, attribution: a}
areas:
  - id: a
    name: A
    topics:
      - {id: "1", name: One, levels: {5: too high}}
      - {id: "1", name: Again, levels: {0: fine}}
""",
        encoding="utf-8",
    )
    with pytest.raises(DocumentInvalidError) as raised:
        load_framework(str(path))
    problems = raised.value.problems
    assert any(p.startswith("line 11: areas[0].topics[0].levels") for p in problems), problems
    assert len(problems) == 1  # schema problems are reported before the cross-checks run
    path.write_text(path.read_text().replace("{5: too high}", "{4: fine}"), encoding="utf-8")
    with pytest.raises(DocumentInvalidError) as raised:
        load_framework(str(path))
    problems = raised.value.problems
    assert problems == [
        "line 5: level_names: 'marvelous' is not a built-in level scale;"
        " expected one of ['microsoft']",
        "line 12: areas[0].topics[1].id: topic id '1' is used twice",
    ]


def test_a_framework_file_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nareas: [\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid YAML") as raised:
        load_framework(str(path))
    assert raised.value.location is not None
    assert raised.value.location.startswith("line 3")
