"""Probe definitions as values: the question, the outcomes, the remediation and where each
answer counts. Built from catalog data that has passed ``scan-probe.schema.json``; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Capability",
    "CapabilityCatalog",
    "ProbeDefinition",
    "TierMapping",
    "capability_catalog_from_data",
    "definition_from_data",
]


@dataclass(frozen=True)
class TierMapping:
    """A probe counts towards ``target`` (an IML4E topic or an ML Test Score test) at ``tier``
    (a level, or a credit); probes of one target and tier sharing an ``alternative`` are
    alternatives (one yes suffices), the others are all required."""

    target: str
    tier: float
    alternative: str | None = None


@dataclass(frozen=True)
class ProbeDefinition:
    """One probe as the catalog defines it."""

    id: str
    title: str
    question: str
    looks_at: tuple[str, ...]
    outcomes: Mapping[str, str]
    remediation: str
    severity: str
    iml4e: tuple[TierMapping, ...]
    marvelous: tuple[str, ...]
    ml_test_score: tuple[TierMapping, ...]
    capabilities: tuple[str, ...]
    ethics: tuple[str, ...]

    def maps_to(self) -> dict[str, Any]:
        """Where the probe's answer counts, as JSON."""
        return {
            "iml4e": [{"topic": m.target, "level": int(m.tier)} for m in self.iml4e],
            "marvelous": list(self.marvelous),
            "ml_test_score": [{"test": m.target, "credit": m.tier} for m in self.ml_test_score],
            "capabilities": list(self.capabilities),
        }

    def to_dict(self) -> dict[str, Any]:
        """The definition as JSON (``assay scan probes --format json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "question": self.question,
            "looks_at": list(self.looks_at),
            "outcomes": dict(self.outcomes),
            "remediation": self.remediation,
            "severity": self.severity,
            "maps_to": self.maps_to(),
            "ethics": list(self.ethics),
        }


def definition_from_data(data: Mapping[str, Any]) -> ProbeDefinition:
    """Build a definition from schema-valid data."""
    maps = data["maps_to"]
    return ProbeDefinition(
        id=data["id"],
        title=data["title"],
        question=data["question"],
        looks_at=tuple(data["looks_at"]),
        outcomes=dict(data["outcomes"]),
        remediation=" ".join(data["remediation"].split()),
        severity=data["severity"],
        iml4e=tuple(
            TierMapping(m["topic"], m["level"], m.get("alternative")) for m in maps.get("iml4e", [])
        ),
        marvelous=tuple(maps.get("marvelous", [])),
        ml_test_score=tuple(
            TierMapping(m["test"], m["credit"], m.get("alternative"))
            for m in maps.get("ml_test_score", [])
        ),
        capabilities=tuple(maps["capabilities"]),
        ethics=tuple(data["ethics"]),
    )


@dataclass(frozen=True)
class Capability:
    """An MLOps capability of the IML4E framework, in its group."""

    id: str
    name: str
    description: str
    group: str
    group_name: str
    iml4e_tools: tuple[str, ...]


@dataclass(frozen=True)
class CapabilityCatalog:
    """The eighteen capabilities in order and which open-source tool provides which."""

    capabilities: tuple[Capability, ...]
    tools: Mapping[str, tuple[str, ...]]
    source: str

    @property
    def ids(self) -> tuple[str, ...]:
        """The capability ids in catalog order."""
        return tuple(capability.id for capability in self.capabilities)

    def tools_for(self, capability_id: str, detected: set[str]) -> list[str]:
        """The ``detected`` tools that provide ``capability_id``, sorted."""
        return sorted(tool for tool in detected if capability_id in self.tools.get(tool, ()))


def capability_catalog_from_data(data: Mapping[str, Any]) -> CapabilityCatalog:
    """Build the capability catalog from ``catalog/scan/capabilities.yaml`` data."""
    iml4e: dict[str, list[str]] = {}
    for tool in data["iml4e_tools"]:
        for capability in tool["capabilities"]:
            iml4e.setdefault(capability, []).append(f"{tool['name']} ({tool['partner']})")
    capabilities = tuple(
        Capability(
            item["id"],
            item["name"],
            item["description"],
            group["id"],
            group["name"],
            tuple(iml4e.get(item["id"], [])),
        )
        for group in data["groups"]
        for item in group["capabilities"]
    )
    return CapabilityCatalog(
        capabilities,
        {tool: tuple(ids) for tool, ids in data["tools"].items()},
        data["source"]["title"],
    )
