"""DORA's five keys from canonical events (definitions in docs/metrics.md).

:class:`DeliveryHistory` is built once from the events of a service (or of all services) in one
environment; it then answers any window: ``history.figures(window)``. Every figure is computed
"as known at the window's end": incidents, resolutions and rollbacks after ``until`` are not
seen, so a past window's figures do not move when later events arrive.

The events are the canonical JSON objects of :mod:`assay.metrics.events` (times as RFC 3339
strings), so that figures can be recomputed from an export by anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.metrics.events import epoch_of as epoch
from assay.metrics.windows import DAY, Window

__all__ = ["DeliveryHistory"]

_INF = float("inf")


def epochs(texts: list[str]) -> np.ndarray:
    """Seconds since the epoch of RFC 3339 times, parsed together: canonical UTC times
    (``…Z``) by numpy in one call, any other offset one by one."""
    if not texts:
        return np.empty(0)
    if all(text.endswith("Z") for text in texts):
        stamps = np.array([text[:-1] for text in texts], dtype="datetime64[us]")
        return stamps.astype(np.int64) / 1e6
    return np.array([epoch(text) for text in texts], dtype=float)


@dataclass
class _Incident:
    key: str
    detected: float
    resolved: float = _INF
    deployment: str | None = None


@dataclass
class DeliveryHistory:
    """The successful deployments of one selection (service or all, one environment, a team
    or all), with what links to each: incidents, rollbacks, and the changes each carried first.

    ``incident_window`` (seconds, or None) also links an incident that names no deployment to
    the latest successful deployment of its service at most that long before it.
    """

    environment: str
    service: str | None = None
    team: str | None = None
    times: np.ndarray = field(default_factory=lambda: np.empty(0))
    ids: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    planned: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    change_counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # Per deployment (same order as ``times``): earliest rollback, linked incidents.
    rollback_at: np.ndarray = field(default_factory=lambda: np.empty(0))
    incidents: dict[int, list[_Incident]] = field(default_factory=dict)
    failure_at: np.ndarray = field(default_factory=lambda: np.empty(0))
    last_detected: np.ndarray = field(default_factory=lambda: np.empty(0))
    last_resolved: np.ndarray = field(default_factory=lambda: np.empty(0))
    # Changes attributed to their first successful deployment, sorted by that deployment.
    change_deployed: np.ndarray = field(default_factory=lambda: np.empty(0))
    change_lead: np.ndarray = field(default_factory=lambda: np.empty(0))
    untimed_deployed: np.ndarray = field(default_factory=lambda: np.empty(0))
    incident_times: np.ndarray = field(default_factory=lambda: np.empty(0))
    unlinked_incident_times: np.ndarray = field(default_factory=lambda: np.empty(0))
    unknown_rollbacks: int = 0

    @classmethod
    def build(
        cls,
        events: Iterable[Mapping[str, Any]],
        *,
        environment: str,
        service: str | None = None,
        team: str | None = None,
        incident_window: float | None = None,
    ) -> DeliveryHistory:
        """The history of the selection from ``events`` (any order, any types: the others
        are ignored)."""
        deployments: list[Mapping[str, Any]] = []
        incidents: dict[tuple[str, str], _Incident] = {}
        incident_service: dict[tuple[str, str], str] = {}
        resolutions: dict[str, float] = {}
        rollbacks: list[Mapping[str, Any]] = []
        change_times: dict[str, str] = {}
        pushes: dict[str, list[Mapping[str, Any]]] = {}

        def selected(event: Mapping[str, Any]) -> bool:
            return event.get("environment") == environment and (
                service is None or event.get("service") == service
            )

        for event in events:
            kind = event["type"]
            if kind == "deployment":
                if (
                    selected(event)
                    and event["outcome"] == "success"
                    and (team is None or event.get("team") == team)
                ):
                    deployments.append(event)
            elif kind == "incident":
                if selected(event):
                    key = event.get("incident") or event["id"]
                    slot = (event["service"], key)
                    detected = epoch(event["time"])
                    known = incidents.get(slot)
                    resolved = epoch(event["resolved"]) if event.get("resolved") else _INF
                    if known is None:
                        incidents[slot] = _Incident(
                            key, detected, resolved, event.get("deployment")
                        )
                        incident_service[slot] = event["service"]
                    else:
                        known.detected = min(known.detected, detected)
                        known.resolved = min(known.resolved, resolved)
                        known.deployment = known.deployment or event.get("deployment")
            elif kind == "incident_resolved":
                at = epoch(event["time"])
                key = event["incident"]
                resolutions[key] = min(resolutions.get(key, _INF), at)
            elif kind == "rollback":
                if selected(event):
                    rollbacks.append(event)
            elif kind == "change":
                change_times.setdefault(event["id"], event["time"])
            elif kind == "push":
                pushes.setdefault(event["head"], []).extend(event.get("commits", []))
                for commit in event.get("commits", []):
                    if commit.get("time"):
                        change_times.setdefault(commit["id"], commit["time"])

        for incident in incidents.values():
            incident.resolved = min(incident.resolved, resolutions.get(incident.key, _INF))
        deployed_at = epochs([d["time"] for d in deployments])
        order = sorted(
            range(len(deployments)), key=lambda i: (deployed_at[i], deployments[i]["id"])
        )
        deployments = [deployments[i] for i in order]
        history = cls(environment=environment, service=service, team=team)
        history._index_deployments(deployments, change_times, pushes)
        history._link(incidents, incident_service, rollbacks, incident_window)
        return history

    def _index_deployments(
        self,
        deployments: list[Mapping[str, Any]],
        change_times: Mapping[str, str],
        pushes: Mapping[str, list[Mapping[str, Any]]],
    ) -> None:
        n = len(deployments)
        self.times = epochs([d["time"] for d in deployments])
        self.ids = [d["id"] for d in deployments]
        self.services = [d["service"] for d in deployments]
        self.planned = np.array([d.get("planned", True) for d in deployments], dtype=bool)
        counts = np.zeros(n, dtype=np.int64)
        seen: set[tuple[str, str]] = set()
        first_by: list[int] = []  # the deployment that carried each new change first
        committed: list[str] = []
        untimed: list[int] = []
        for index, deployment in enumerate(deployments):
            carried = deployment.get("changes", ())
            if pushes:
                carried = list(carried)
                for change in deployment.get("changes", ()):
                    carried.extend(pushes.get(change["id"], ()))
            ids = {change["id"] for change in carried}
            counts[index] = len(ids)
            name = deployment["service"]
            for change in carried:
                key = (name, change["id"])
                if key in seen:  # carried by an earlier deployment: not a new change
                    continue
                seen.add(key)
                written = change.get("time") or change_times.get(change["id"])
                if written is None:
                    untimed.append(index)
                else:
                    first_by.append(index)
                    committed.append(written)
        deployed = self.times[np.array(first_by, dtype=np.int64)]
        leads = deployed - epochs(committed)
        self.change_counts = counts
        self.change_deployed = deployed
        self.change_lead = leads
        self.untimed_deployed = self.times[np.array(untimed, dtype=np.int64)]

    def _link(
        self,
        incidents: Mapping[tuple[str, str], _Incident],
        incident_service: Mapping[tuple[str, str], str],
        rollbacks: list[Mapping[str, Any]],
        incident_window: float | None,
    ) -> None:
        n = len(self.ids)
        position = {(s, i): k for k, (s, i) in enumerate(zip(self.services, self.ids, strict=True))}
        by_service: dict[str, list[int]] = defaultdict(list)
        for k, name in enumerate(self.services):
            by_service[name].append(k)
        self.rollback_at = np.full(n, _INF)
        unknown = 0
        for rollback in rollbacks:
            undone = position.get((rollback["service"], rollback["deployment"]))
            if undone is None:
                unknown += 1
                continue
            self.rollback_at[undone] = min(self.rollback_at[undone], epoch(rollback["time"]))
        self.unknown_rollbacks = unknown
        self.incidents = defaultdict(list)
        unlinked: list[float] = []
        for slot, incident in incidents.items():
            name = incident_service[slot]
            cause = position.get((name, incident.deployment)) if incident.deployment else None
            if cause is None and incident.deployment is None and incident_window is not None:
                cause = self._latest_before(by_service[name], incident.detected, incident_window)
            if cause is None:
                unlinked.append(incident.detected)
            else:
                self.incidents[cause].append(incident)
        self.incident_times = np.sort(np.array([i.detected for i in incidents.values()]))
        self.unlinked_incident_times = np.sort(np.array(unlinked, dtype=float))
        self.failure_at = self.rollback_at.copy()
        # Per deployment, over its linked incidents: the last detection and the last resolution
        # (inf while one is open), so that most windows need no loop over incidents.
        self.last_detected = np.full(n, -_INF)
        self.last_resolved = np.full(n, _INF)
        for k, linked in self.incidents.items():
            self.failure_at[k] = min(self.failure_at[k], min(i.detected for i in linked))
            self.last_detected[k] = max(i.detected for i in linked)
            self.last_resolved[k] = max(i.resolved for i in linked)

    def _latest_before(self, candidates: list[int], at: float, window: float) -> int | None:
        times = self.times[candidates]
        j = int(np.searchsorted(times, at, side="right")) - 1
        if j < 0 or at - times[j] > window:
            return None
        return candidates[j]

    def figures(self, window: Window) -> dict[str, Any]:
        """The five keys over ``window`` (``since`` inclusive, ``until`` exclusive), each with
        its sample count; ``None`` where there is nothing to compute from."""
        since, until = window.since.timestamp(), window.until.timestamp()
        lo, hi = np.searchsorted(self.times, [since, until], side="left")
        times = self.times[lo:hi]
        deployments = int(hi - lo)
        days = int(np.unique(np.floor(times / DAY)).size)
        c_lo, c_hi = np.searchsorted(self.change_deployed, [since, until], side="left")
        leads = self.change_lead[c_lo:c_hi] / 3600.0
        failed_mask = self.failure_at[lo:hi] < until
        failed = int(failed_mask.sum())
        recovery = self._recovery_hours(np.nonzero(failed_mask)[0] + lo, until)
        unrecovered = failed - int(recovery.size)
        unplanned = int((~self.planned[lo:hi]).sum())
        return {
            "deployment_frequency": {
                "deployments": deployments,
                "per_week": deployments / window.weeks,
                "deployment_days": days,
            },
            "lead_time_hours": {
                "median": _median(leads),
                "p90": float(np.percentile(leads, 90)) if leads.size else None,
                "changes": int(leads.size),
            },
            "change_failure_rate": {
                "value": failed / deployments if deployments else None,
                "failed": failed,
                "deployments": deployments,
            },
            "recovery_time_hours": {
                "median": _median(recovery),
                "failures": int(recovery.size),
                "unrecovered": unrecovered,
            },
            "rework_rate": {
                "value": unplanned / deployments if deployments else None,
                "unplanned": unplanned,
                "deployments": deployments,
            },
        }

    def _recovery_hours(self, failed: np.ndarray, until: float) -> np.ndarray:
        """Hours from each failed deployment to the restoration of service, as known at
        ``until`` (those not restored yet are left out)."""
        rollback = self.rollback_at[failed]
        restored = np.where(rollback < until, rollback, _INF)
        resolved = self.last_resolved[failed]
        restored = np.minimum(restored, np.where(resolved < until, resolved, _INF))
        # Where an incident is detected only after until, its resolution is not known yet:
        # the deployment is judged on the incidents known by then, one by one.
        for j in np.nonzero(self.last_detected[failed] >= until)[0]:
            found = self._restored(int(failed[j]), until)
            restored[j] = _INF if found is None else found
        done = np.isfinite(restored)
        hours: np.ndarray = (restored[done] - self.times[failed][done]) / 3600.0
        return hours

    def _restored(self, k: int, until: float) -> float | None:
        """When service was restored after deployment ``k`` failed, as known at ``until``: its
        rollback, or the resolution of the last of its incidents, whichever came first."""
        candidates = []
        if self.rollback_at[k] < until:
            candidates.append(self.rollback_at[k])
        linked = [i for i in self.incidents.get(k, ()) if i.detected < until]
        if linked and all(i.resolved < until for i in linked):
            candidates.append(max(i.resolved for i in linked))
        return float(min(candidates)) if candidates else None

    def diagnostics(self, window: Window, *, quiet_days: int = 90) -> list[str]:
        """What makes the window's figures less trustworthy, in words a team can act on."""
        since, until = window.since.timestamp(), window.until.timestamp()
        notes = []
        lo, hi = np.searchsorted(self.times, [since, until], side="left")
        horizon = until - quiet_days * DAY
        i_lo, i_hi = np.searchsorted(self.incident_times, [horizon, until], side="left")
        if hi > lo and i_hi == i_lo:
            notes.append(
                f"no incidents received in {quiet_days} days: the change failure rate and "
                "recovery time may miss failures (is an incident source connected?)"
            )
        u_lo, u_hi = np.searchsorted(self.untimed_deployed, [since, until], side="left")
        c_lo, c_hi = np.searchsorted(self.change_deployed, [since, until], side="left")
        untimed, timed = int(u_hi - u_lo), int(c_hi - c_lo)
        if untimed:
            share = untimed / (untimed + timed)
            notes.append(
                f"{share:.0%} of changes have no commit time ({untimed} of {untimed + timed}): "
                "they are left out of the lead time"
            )
        empty = int((self.change_counts[lo:hi] == 0).sum())
        if empty:
            notes.append(
                f"{empty} deployment{'s' if empty != 1 else ''} without changes: lead time "
                "cannot be measured for them"
            )
        n_lo, n_hi = np.searchsorted(self.unlinked_incident_times, [since, until], side="left")
        if n_hi > n_lo:
            count = int(n_hi - n_lo)
            notes.append(
                f"{count} incident{'s' if count != 1 else ''} linked to no deployment: they do "
                "not count in the change failure rate (link them with 'deployment', or set an "
                "incident window)"
            )
        if self.unknown_rollbacks:
            notes.append(
                f"{self.unknown_rollbacks} rollback(s) name a deployment assay has not received"
            )
        return notes


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if values.size else None
