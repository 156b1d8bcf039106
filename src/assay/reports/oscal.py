"""Audit runs and specifications as NIST OSCAL 1.2.1 documents (JSON), for compliance tooling
such as compliance-trestle: an assessment plan of a specification, the assessment results of a
run, and a component definition of a specification. No I/O.

Every UUID is a version-5 UUID of ids and hashes, so two exports of the same run are the same
bytes. A run's requirements are the controls (``objective-id`` targets); each measurement is an
observation whose method says how it was obtained (TEST: collected by a collector, EXAMINE: an
attestation, INTERVIEW: a questionnaire answer), with the ledger entry that holds it as relevant
evidence; each requirement is a finding, ``satisfied`` only when it passed. Waivers are risks
whose status is ``deviation-approved``. What the caller's audience may not see is already
replaced by ``[confidential]`` in the model and spec handed in
(:func:`assay.reports.audit_json.for_audience`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "OSCAL_VERSION",
    "assessment_plan",
    "assessment_results",
    "component_definition",
    "plan_file_name",
    "token",
    "uuid_of",
]

OSCAL_VERSION = "1.2.1"
ASSAY_NS = "https://assay.dev/ns/oscal"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://assay.dev/oscal")
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
_QUESTIONNAIRE_SOURCES = ("questionnaire:", "answers:")


def uuid_of(*parts: object) -> str:
    """A version-5 UUID of ``parts`` in assay's OSCAL namespace."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def token(identifier: str) -> str:
    """``identifier`` as an OSCAL token (a letter or underscore first; letters, digits and
    ``._-`` after)."""
    if _TOKEN.match(identifier):
        return identifier
    return "_" + re.sub(r"[^A-Za-z0-9._-]", "_", identifier)


def _prop(name: str, value: object) -> dict[str, str]:
    return {"name": name, "ns": ASSAY_NS, "value": _shown(value)}


def plan_file_name(spec_id: str) -> str:
    """The file an assessment plan of spec ``spec_id`` is written to, next to the results."""
    return f"assessment-plan-{re.sub(r'[^A-Za-z0-9._-]', '_', spec_id)}.json"


def _metadata(title: str, modified: str, version: str, tool_version: str) -> dict[str, Any]:
    return {
        "title": title,
        "last-modified": modified,
        "version": version,
        "oscal-version": OSCAL_VERSION,
        "props": [_prop("generator", f"assay {tool_version}")],
    }


def _requirements(
    model: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    for dimension in model.get("dimensions", []):
        for requirement in dimension.get("requirements", []):
            yield dimension, requirement


def _measurements(requirement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for metric in requirement.get("metrics", []):
        yield from metric.get("measurements", [])


def _spec_requirements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        requirement
        for dimension in document.get("dimensions", [])
        for requirement in dimension.get("requirements", [])
    ]


def assessment_plan(
    spec: Mapping[str, Any], spec_hash: str, modified: str, tool_version: str
) -> dict[str, Any]:
    """The assessment plan of a specification (its parsed ``document``): each requirement a
    control to assess, each measurement an assessment objective, assay the assessing tool."""
    spec_id = str(spec.get("id"))
    tool = uuid_of("tool", "assay")
    requirements = _spec_requirements(spec)
    return {
        "assessment-plan": {
            "uuid": uuid_of("plan", spec_id, spec_hash),
            "metadata": _metadata(
                f"Assessment plan: {spec.get('name') or spec_id}",
                modified,
                str(spec.get("version") or spec_hash[:12]),
                tool_version,
            ),
            "import-ssp": {"href": f"urn:assay:spec:{spec_id}:{spec_hash}"},
            "local-definitions": {
                "components": [_tool_component(tool, tool_version)],
            },
            "reviewed-controls": {
                "control-selections": [
                    {
                        "include-controls": [
                            {"control-id": token(str(r["id"]))} for r in requirements
                        ]
                    }
                    if requirements
                    else {"include-all": {}}
                ],
            },
            "assessment-subjects": [{"type": "component", "include-all": {}}],
        }
    }


def _tool_component(tool: str, tool_version: str) -> dict[str, Any]:
    return {
        "uuid": tool,
        "type": "software",
        "title": "assay",
        "description": "Continuous audit-based certification of ML systems: collects, evaluates "
        "and records evidence in a hash-chained, Merkle-provable ledger.",
        "props": [{"name": "version", "value": tool_version}],
        "status": {"state": "operational"},
    }


def _method(measurement: Mapping[str, Any]) -> str:
    if measurement.get("attested_by"):
        return "EXAMINE"
    source = measurement.get("source")
    if isinstance(source, str) and source.startswith(_QUESTIONNAIRE_SOURCES):
        return "INTERVIEW"
    return "TEST"


def _evidence(
    measurement: Mapping[str, Any], entries: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    entry = entries.get(str(measurement.get("id")))
    if entry is not None:
        found.append(
            {
                "href": f"urn:assay:ledger:{entry['seq']}",
                "description": f"Ledger entry {entry['seq']} ({entry['kind']}) that holds this "
                "measurement; assay ledger verify checks its hash and chain.",
                "props": [
                    _prop("ledger-seq", entry["seq"]),
                    _prop("ledger-entry-sha256", entry["hash"]),
                ],
            }
        )
    source = measurement.get("source")
    if isinstance(source, str) and source and source != "[confidential]":
        found.append({"href": source.replace(" ", "%20"), "description": "Where it was read."})
    return found


def assessment_results(
    model: Mapping[str, Any],
    evidence: Sequence[Mapping[str, Any]],
    *,
    tool_version: str,
    plan_href: str,
) -> dict[str, Any]:
    """The assessment results of one run (``model`` as :func:`for_audience` gives it;
    ``evidence`` the ledger entries it was stored in, as
    :func:`assay.services.listings.evidence_digests` lists them)."""
    run_id = str(model["run_id"])
    spec = model["spec"]
    tool = uuid_of("tool", "assay")
    subject = uuid_of("target", model["target"])
    entries = {
        str(e["element"]): e
        for e in evidence
        if e.get("element") and str(e.get("kind", "")).startswith("audit.measurement")
    }
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    parties: dict[str, str] = {}
    tool_origin = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]
    for _dimension, requirement in _requirements(model):
        requirement_id = str(requirement["id"])
        related: list[dict[str, str]] = []
        related_risks: list[dict[str, str]] = []
        for measurement in _measurements(requirement):
            observation, risk = _observation(
                run_id, model, measurement, entries, subject, tool_origin, parties
            )
            observations.append(observation)
            related.append({"observation-uuid": observation["uuid"]})
            if risk is not None:
                risks.append(risk)
                related_risks.append({"risk-uuid": risk["uuid"]})
        outcome = str(requirement.get("outcome"))
        finding: dict[str, Any] = {
            "uuid": uuid_of("finding", run_id, requirement_id),
            "title": str(requirement.get("name") or requirement_id),
            "description": f"Requirement {requirement_id} ({requirement.get('severity')}): "
            f"{outcome}.",
            "props": [_prop("outcome", outcome), _prop("severity", requirement.get("severity"))],
            "origins": tool_origin,
            "target": {
                "type": "objective-id",
                "target-id": token(requirement_id),
                "status": {
                    "state": "satisfied" if outcome == "pass" else "not-satisfied",
                    "reason": {"pass": "pass", "fail": "fail"}.get(outcome, "other"),
                },
            },
        }
        if related:
            finding["related-observations"] = related
        if related_risks:
            finding["related-risks"] = related_risks
        findings.append(finding)
    result: dict[str, Any] = {
        "uuid": uuid_of("result", run_id),
        "title": f"Run {run_id} of {spec['id']} on {model['target']}",
        "description": f"Verdict {model['verdict']}: assay audit run of specification "
        f"{spec['id']} (sha256 {spec['hash']}) on {model['target']}.",
        "start": model["started"],
        "end": model["finished"],
        "props": [
            _prop("verdict", model["verdict"]),
            _prop("spec-sha256", spec["hash"]),
            _prop("run-id", run_id),
        ],
        "local-definitions": {
            "components": [
                _tool_component(tool, tool_version),
                {
                    "uuid": subject,
                    "type": "service",
                    "title": str(model["target"]),
                    "description": f"The ML system assessed: {model['target']}.",
                    "status": {"state": "operational"},
                },
            ]
        },
        "reviewed-controls": {
            "control-selections": [
                {
                    "include-controls": [
                        {"control-id": token(str(r["id"]))} for _, r in _requirements(model)
                    ]
                }
                if findings
                else {"include-all": {}}
            ]
        },
    }
    if observations:
        result["observations"] = observations
    if risks:
        result["risks"] = risks
    if findings:
        result["findings"] = findings
    metadata = _metadata(
        f"Assessment results: {spec.get('name') or spec['id']} on {model['target']}",
        model["finished"],
        run_id,
        tool_version,
    )
    if parties:
        metadata["parties"] = [
            {"uuid": party, "type": "person", "name": name}
            for name, party in sorted(parties.items())
        ]
    return {
        "assessment-results": {
            "uuid": uuid_of("results", run_id, spec["hash"]),
            "metadata": metadata,
            "import-ap": {"href": plan_href},
            "results": [result],
        }
    }


def _observation(
    run_id: str,
    model: Mapping[str, Any],
    measurement: Mapping[str, Any],
    entries: Mapping[str, Mapping[str, Any]],
    subject: str,
    tool_origin: list[dict[str, Any]],
    parties: dict[str, str],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    element = str(measurement["id"])
    method = _method(measurement)
    outcome = str(measurement.get("outcome"))
    props = [_prop("measurement", element), _prop("outcome", outcome)]
    if "value" in measurement:
        props.append(_prop("value", _shown(measurement.get("value"))))
    if measurement.get("target") is not None:
        props.append(_prop("target", _shown(measurement["target"])))
    if measurement.get("comparison"):
        props.append(_prop("comparison", measurement["comparison"]))
    description = f"{measurement.get('name') or element}: {outcome}"
    if measurement.get("error"):
        description += f" ({measurement['error']})"
    origins = tool_origin
    attester = measurement.get("attested_by")
    if isinstance(attester, str) and attester:
        party = parties.setdefault(attester, uuid_of("party", attester))
        origins = [{"actors": [{"type": "party", "actor-uuid": party}]}]
    observation: dict[str, Any] = {
        "uuid": uuid_of("observation", run_id, element),
        "title": str(measurement.get("name") or element),
        "description": description + ".",
        "props": props,
        "methods": [method],
        "types": ["finding" if outcome == "fail" else "control-objective"],
        "origins": origins,
        "subjects": [{"subject-uuid": subject, "type": "component"}],
        "collected": measurement.get("collected_at") or model["finished"],
    }
    evidence = _evidence(measurement, entries)
    if evidence:
        observation["relevant-evidence"] = evidence
    waiver = measurement.get("waiver")
    risk = None
    if isinstance(waiver, Mapping):
        risk = {
            "uuid": uuid_of("waiver", run_id, element),
            "title": f"Waived: {measurement.get('name') or element}",
            "description": str(waiver.get("justification") or "waived"),
            "statement": f"{element} is waived by {waiver.get('by')} until "
            f"{waiver.get('expires')}: its outcome does not count against the verdict.",
            "props": [
                _prop("waived-by", waiver.get("by")),
                _prop("expires", waiver.get("expires")),
            ],
            "status": "deviation-approved",
            "related-observations": [{"observation-uuid": observation["uuid"]}],
        }
    return observation, risk


def _shown(value: object) -> str:
    """A value as one line of at most 200 characters (OSCAL property values are one
    non-empty line)."""
    text = " ".join(str(value).split()) or '""'
    return text if len(text) <= 200 else text[:199] + "…"


def component_definition(
    spec: Mapping[str, Any], spec_hash: str, modified: str, tool_version: str
) -> dict[str, Any]:
    """A component definition of a specification: the ML system it is about, with each
    requirement an implemented requirement and its measurements (target, comparison) as
    properties, so a control catalogue can be mapped to what assay measures."""
    spec_id = str(spec.get("id"))
    implemented: list[dict[str, Any]] = []
    for requirement in _spec_requirements(spec):
        requirement_id = str(requirement["id"])
        props = [_prop("severity", requirement.get("severity", "blocking"))]
        for metric in requirement.get("metrics", []):
            for measurement in metric.get("measurements", []):
                summary = f"{measurement.get('id')}"
                if "comparison" in measurement:
                    summary += f" {measurement['comparison']}"
                if "target" in measurement:
                    summary += f" {_shown(measurement['target'])}"
                props.append(_prop("measurement", summary))
        implemented.append(
            {
                "uuid": uuid_of("implemented", spec_id, spec_hash, requirement_id),
                "control-id": token(requirement_id),
                "description": str(requirement.get("name") or requirement_id),
                "props": props,
            }
        )
    target = str(spec.get("target") or spec_id)
    component: dict[str, Any] = {
        "uuid": uuid_of("component", spec_id, spec_hash),
        "type": "service",
        "title": target,
        "description": str(spec.get("description") or spec.get("name") or spec_id),
    }
    if implemented:
        component["control-implementations"] = [
            {
                "uuid": uuid_of("implementation", spec_id, spec_hash),
                "source": f"urn:assay:spec:{spec_id}:{spec_hash}",
                "description": f"The requirements of the assay specification {spec_id}, each "
                "checked by measurements at every audit run.",
                "implemented-requirements": implemented,
            }
        ]
    return {
        "component-definition": {
            "uuid": uuid_of("component-definition", spec_id, spec_hash),
            "metadata": _metadata(
                f"Component definition: {spec.get('name') or spec_id}",
                modified,
                str(spec.get("version") or spec_hash[:12]),
                tool_version,
            ),
            "components": [component],
        }
    }
