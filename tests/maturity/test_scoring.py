"""Scoring rules on small hand-computed cases (the expected values are worked out by hand)."""

from __future__ import annotations

import pytest

from assay.catalog import load_framework
from assay.maturity.frameworks import (
    Area,
    Framework,
    FrameworkKind,
    ScaleLevel,
    Section,
    Source,
    Statement,
    StatementGroup,
    Topic,
)
from assay.maturity.scoring import Answer, Respondent, consensus, score_checklist, score_levels

SCALE = tuple(ScaleLevel(n, f"L{n}", "") for n in range(5))
LEVELS = Framework(
    id="tiny",
    name="Tiny",
    version="1",
    kind=FrameworkKind.levels,
    source=Source("t", "a"),
    scale=SCALE,
    areas=(
        Area(
            "a",
            "Area A",
            (
                Topic("a1", "A one", None, {0: "a1@0", 2: "a1@2", 4: "a1@4"}),
                Topic("a2", "A two", None, {1: "a2@1", 3: "a2@3"}),
            ),
        ),
        Area("b", "Area B", (Topic("b1", "B one", None, {n: f"b1@{n}" for n in range(5)}),)),
    ),
)


def person(name: str, **levels: int) -> Respondent:
    return Respondent(name, {topic: Answer(level) for topic, level in levels.items()})


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3], 3), ([1, 2], 1), ([1, 3], 2), ([0, 2, 4], 2), ([3, 1, 2, 4], 2), ([4, 4, 0], 4)],
)
def test_consensus_is_the_median_rounded_down(values: list[int], expected: int) -> None:
    assert consensus(values) == expected


def test_area_score_is_the_minimum_and_names_the_limiting_topics() -> None:
    result = score_levels(LEVELS, [person("ann", a1=2, a2=3, b1=1)])
    assert [(a.id, a.score, a.limiting, a.missing) for a in result.areas] == [
        ("a", 2, ("a1",), ()),
        ("b", 1, ("b1",), ()),
    ]
    assert (result.overall, result.overall_name) == (1, "L1")


def test_every_topic_at_the_minimum_holds_the_area_down() -> None:
    result = score_levels(LEVELS, [person("ann", a1=3, a2=3, b1=4)])
    assert result.areas[0].limiting == ("a1", "a2")
    assert result.overall == 3


def test_an_unanswered_topic_leaves_its_area_and_the_overall_level_open() -> None:
    result = score_levels(LEVELS, [person("ann", a1=2, b1=1)])
    assert (result.areas[0].score, result.areas[0].missing) == (None, ("a2",))
    assert result.overall is None
    assert result.overall_name is None
    assert result.target == 2  # one above the lowest complete area (b: 1)


def test_default_target_is_one_above_the_overall_level_and_the_roadmap_follows_it() -> None:
    result = score_levels(LEVELS, [person("ann", a1=2, a2=3, b1=1)])
    assert result.target == 2
    assert [(item.area, item.score, item.gap) for item in result.roadmap] == [("b", 1, 1)]
    (step,) = result.roadmap[0].steps
    assert (step.topic, step.level, step.next_level, step.requirement) == ("b1", 1, 2, "b1@2")


def test_roadmap_orders_areas_by_gap_and_steps_by_level() -> None:
    result = score_levels(LEVELS, [person("ann", a1=2, a2=3, b1=1)], target=4)
    assert [(item.area, item.gap) for item in result.roadmap] == [("b", 3), ("a", 2)]
    a_steps = result.roadmap[1].steps
    assert [(s.topic, s.level, s.next_level, s.requirement) for s in a_steps] == [
        ("a1", 2, 4, "a1@4"),
        ("a2", 3, None, None),  # nothing described above level 3 for a2
    ]


def test_next_step_skips_levels_the_source_does_not_describe() -> None:
    result = score_levels(LEVELS, [person("ann", a1=0, a2=1, b1=4)])
    a_steps = {s.topic: s for s in result.roadmap[0].steps}
    assert (a_steps["a1"].next_level, a_steps["a1"].requirement) == (2, "a1@2")
    assert result.overall == 0
    assert result.target == 1
    assert [s.topic for s in result.roadmap[0].steps] == ["a1"]  # a2 is at the target already


def test_a_top_score_has_an_empty_roadmap() -> None:
    result = score_levels(LEVELS, [person("ann", a1=4, a2=4, b1=4)])
    assert (result.overall, result.target, result.roadmap) == (4, 4, ())


def test_several_respondents_give_consensus_spread_and_disputes() -> None:
    team = [
        person("ann", a1=0, a2=3, b1=2),
        person("bob", a1=2, a2=3, b1=3),
        person("cem", a1=4, a2=2, b1=2),
    ]
    result = score_levels(LEVELS, team)
    topics = {t.id: t for t in result.topics}
    assert (topics["a1"].level, topics["a1"].spread, topics["a1"].disputed) == (2, (0, 4), True)
    assert (topics["a2"].level, topics["a2"].spread, topics["a2"].disputed) == (3, (2, 3), False)
    assert (topics["b1"].level, topics["b1"].spread) == (2, (2, 3))
    assert topics["a1"].answers == {"ann": 0, "bob": 2, "cem": 4}
    assert [t.id for t in result.disputed] == ["a1"]
    assert [(a.id, a.score) for a in result.areas] == [("a", 2), ("b", 2)]


def test_a_respondent_who_skipped_a_topic_does_not_count_for_it() -> None:
    result = score_levels(LEVELS, [person("ann", a1=1, a2=1, b1=1), person("bob", a1=4)])
    a1 = result.topics[0]
    assert (a1.level, a1.answers) == (2, {"ann": 1, "bob": 4})  # median of [1, 4] = 2.5 → 2


def test_iml4e_overall_level_uses_microsofts_names() -> None:
    iml4e = load_framework("iml4e")
    answers = {topic.id: 3 for topic in iml4e.topics} | {"29": 2}
    result = score_levels(iml4e, [person("ann", **answers)])
    assert (result.overall, result.overall_name) == (2, "Automated Training")
    assert [(a.id, a.score, a.limiting) for a in result.areas if a.score == 2] == [
        ("conformity", 2, ("29",))
    ]
    (item,) = result.roadmap
    assert [(s.topic, s.next_level) for s in item.steps] == [("29", 3)]


CHECKLIST = Framework(
    id="check",
    name="Check",
    version="1",
    kind=FrameworkKind.checklist,
    source=Source("t", "a"),
    scale=(),
    sections=(
        Section(
            "1",
            "Base",
            True,
            (
                StatementGroup(
                    "1.1",
                    "G",
                    (
                        Statement("1.1.1", "x"),
                        Statement("1.1.2", "y"),
                    ),
                ),
            ),
        ),
        Section("2", "Advanced", False, (StatementGroup(None, None, (Statement("2.1", "z"),)),)),
    ),
)


def test_checklist_is_mature_when_every_baseline_statement_is_yes() -> None:
    answers = {"1.1.1": Answer(True), "1.1.2": Answer(True), "2.1": Answer(False)}
    result = score_checklist(CHECKLIST, [Respondent("ann", answers)])
    assert result.mature
    base, advanced = result.sections
    assert (base.yes, base.total, base.blocking) == (2, 2, ())
    assert (advanced.yes, advanced.total, advanced.open, advanced.blocking) == (0, 1, ("2.1",), ())


def test_a_no_or_a_missing_answer_in_the_baseline_blocks_maturity() -> None:
    result = score_checklist(CHECKLIST, [Respondent("ann", {"1.1.1": Answer(False)})])
    assert not result.mature
    base = result.sections[0]
    assert (base.yes, base.blocking, base.unanswered) == (0, ("1.1.1", "1.1.2"), ("1.1.2",))


def test_checklist_consensus_needs_a_majority_and_flags_differences() -> None:
    team = [
        Respondent("ann", {"1.1.1": Answer(True), "1.1.2": Answer(True)}),
        Respondent("bob", {"1.1.1": Answer(False), "1.1.2": Answer(True)}),
    ]
    result = score_checklist(CHECKLIST, team)
    assert result.statements["1.1.1"] is False  # a tie is no
    assert result.statements["1.1.2"] is True
    assert result.disputed == ("1.1.1",)
    assert not result.mature


def test_scoring_the_wrong_kind_of_framework_is_refused() -> None:
    with pytest.raises(ValueError, match="not a checklist"):
        score_checklist(LEVELS, [])
    with pytest.raises(ValueError, match="not a level framework"):
        score_levels(CHECKLIST, [])
