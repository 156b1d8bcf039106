"""Probes of model documentation: a model card, and whether it has the sections a model card
needs (after Mitchell et al., "Model Cards for Model Reporting", 2019)."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Finding, Outcome
from assay.scan.probes import probe
from assay.scan.tree import suffix_of

# Each required section and the headings that count as it (lower case, matched as words).
CARD_SECTIONS: dict[str, tuple[str, ...]] = {
    "model details": ("model details", "model description", "overview", "model summary"),
    "intended use": ("intended use", "intended uses", "uses", "use cases", "out-of-scope"),
    "evaluation": ("evaluation", "metrics", "performance", "results", "quantitative analyses"),
    "training data": ("training data", "data", "dataset", "datasets"),
    "limitations": ("limitations", "caveats", "risks", "bias, risks, and limitations"),
    "ethical considerations": ("ethical considerations", "ethics", "fairness", "bias"),
}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def model_cards(ctx: ScanContext) -> list[str]:
    """Paths of model cards: files named like ``MODEL_CARD.md`` or ``model-card.yaml``, and
    Hugging Face READMEs whose front matter describes a model."""

    def read() -> list[str]:
        cards = []
        for path in ctx.tree.paths:
            name = path.rsplit("/", 1)[-1].lower()
            stem = re.sub(r"[-_ ]", "", name.rsplit(".", 1)[0])
            if re.fullmatch(r"(\w*?)modelcard", stem) and suffix_of(path) in (
                ".md",
                ".yaml",
                ".yml",
                ".json",
                ".html",
            ):
                cards.append(path)
            elif name == "readme.md":
                head = (ctx.text(path) or "")[:4000]
                if head.startswith("---") and re.search(
                    r"(?m)^(model-index|library_name|pipeline_tag):", head
                ):
                    cards.append(path)
        return cards

    return ctx.memo("model-cards", read)


def card_sections(text: str) -> tuple[dict[str, int], list[str]]:
    """The required sections a Markdown card has (with their lines) and those it lacks."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        match = _HEADING.match(line)
        if not match:
            continue
        heading = re.sub(r"[^a-z ,\-]", "", match.group(1).lower()).strip()
        for section, names in CARD_SECTIONS.items():
            if section not in found and any(
                re.search(rf"\b{re.escape(n)}\b", heading) for n in names
            ):
                found[section] = number
                break
    return found, [section for section in CARD_SECTIONS if section not in found]


@probe("model-card-present")
def model_card_present(ctx: ScanContext) -> Finding:
    """yes when the repository has a model card."""
    cards = model_cards(ctx)
    if cards:
        return Finding(
            "model-card-present",
            Outcome.yes,
            Confidence.high,
            f"{len(cards)} model card(s)",
            tuple(ctx.evidence(p, None) for p in cards[:5]),
            ("model-card",),
        )
    return Finding(
        "model-card-present",
        Outcome.no,
        Confidence.high,
        "no model card (MODEL_CARD.md, model-card.yaml or a Hugging Face README)",
    )


@probe("model-card-sections")
def model_card_sections(ctx: ScanContext) -> Finding:
    """yes when a Markdown model card has every required section (model details, intended
    use, training data, evaluation, limitations, ethical considerations); no names what is
    missing; not applicable without a card; unknown when no card is Markdown."""
    cards = [p for p in model_cards(ctx) if suffix_of(p) == ".md"]
    if not model_cards(ctx):
        return Finding(
            "model-card-sections", Outcome.not_applicable, Confidence.high, "no model card"
        )
    if not cards:
        return Finding(
            "model-card-sections",
            Outcome.unknown,
            Confidence.low,
            "the model cards are not Markdown; their sections were not read",
        )
    best: tuple[str, dict[str, int], list[str]] | None = None
    for path in cards:
        present, missing = card_sections(ctx.text(path) or "")
        if best is None or len(missing) < len(best[2]):
            best = (path, present, missing)
    assert best is not None
    path, present, missing = best
    evidence = tuple(ctx.evidence(path, line) for line in present.values())
    if missing:
        return Finding(
            "model-card-sections",
            Outcome.no,
            Confidence.high,
            f"{path} lacks: {', '.join(missing)}",
            evidence,
        )
    return Finding(
        "model-card-sections",
        Outcome.yes,
        Confidence.high,
        f"{path} has every required section",
        evidence,
    )
