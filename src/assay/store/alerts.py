"""The alerts table and the actions each alert takes: one open alert per rule, each action
run once per (alert, action, phase) whatever the number of processes, retried when it fails."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from assay.store.database import Database
from assay.store.schema import alert_actions, alerts

__all__ = ["ActionRow", "AlertRow", "AlertStore"]


@dataclass(frozen=True)
class AlertRow:
    """One alert as stored."""

    id: int
    rule: str
    kind: str
    alert_class: str
    state: str
    opened: float
    resolved: float | None
    acknowledged: float | None
    acknowledged_by: str | None
    note: str | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class ActionRow:
    """One action of an alert: its status (pending, running, retry, done, failed), attempts
    so far, when it may be tried next, and its last result."""

    id: int
    alert_id: int
    action: str
    phase: str
    status: str
    attempts: int
    next_try: float
    result: dict[str, Any] | None


def _alert(row: Any) -> AlertRow:
    return AlertRow(
        row.id,
        row.rule,
        row.kind,
        row.alert_class,
        row.state,
        row.opened,
        row.resolved,
        row.acknowledged,
        row.acknowledged_by,
        row.note,
        json.loads(row.evidence),
    )


def _action(row: Any) -> ActionRow:
    return ActionRow(
        row.id,
        row.alert_id,
        row.action,
        row.phase,
        row.status,
        row.attempts,
        row.next_try,
        json.loads(row.result) if row.result else None,
    )


class AlertStore:
    """Read and write the alerts of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def open_in(
        self,
        conn: Connection,
        *,
        rule: str,
        kind: str,
        alert_class: str,
        opened: float,
        evidence: dict[str, Any],
        actions: Sequence[str],
        due: float,
    ) -> int | None:
        """Open an alert for ``rule`` with its actions pending from ``due``, in the caller's
        transaction; None when the rule has an open alert already (opened by this or another
        process)."""
        if self._open_id(conn, rule) is not None:
            return None
        try:
            with conn.begin_nested():
                alert_id = conn.execute(
                    insert(alerts).values(
                        rule=rule,
                        kind=kind,
                        alert_class=alert_class,
                        state="open",
                        open_key="open",
                        opened=opened,
                        evidence=json.dumps(evidence, sort_keys=True),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            return None
        self.add_actions_in(conn, int(alert_id), actions, "open", due)
        return int(alert_id)

    def add_actions_in(
        self, conn: Connection, alert_id: int, actions: Sequence[str], phase: str, now: float
    ) -> None:
        """Make ``actions`` pending for the alert's ``phase`` (open or resolve)."""
        for action in actions:
            conn.execute(
                insert(alert_actions).values(
                    alert_id=alert_id,
                    action=action,
                    phase=phase,
                    status="pending",
                    attempts=0,
                    next_try=now,
                )
            )

    def _open_id(self, conn: Connection, rule: str) -> int | None:
        found = conn.execute(
            select(alerts.c.id).where(alerts.c.rule == rule, alerts.c.state == "open")
        ).first()
        return int(found[0]) if found else None

    def resolve_in(self, conn: Connection, alert_id: int, at: float) -> bool:
        """Close an open alert; False when it was closed already."""
        done = conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.state == "open")
            .values(state="resolved", open_key=None, resolved=at)
        )
        return done.rowcount == 1

    def acknowledge_in(
        self, conn: Connection, alert_id: int, by: str, note: str, at: float
    ) -> None:
        """Record who acknowledged the alert, with their note."""
        conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(acknowledged=at, acknowledged_by=by, note=note)
        )

    def get(self, alert_id: int) -> AlertRow | None:
        """The alert, or None."""
        with self.database.reading() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return _alert(row) if row else None

    def open_alerts(self) -> list[AlertRow]:
        """Every open alert, oldest first."""
        return self.listed(state="open", limit=100_000, oldest_first=True)

    def listed(
        self, *, state: str | None = None, limit: int = 100, oldest_first: bool = False
    ) -> list[AlertRow]:
        """The newest ``limit`` alerts (of ``state``)."""
        order = alerts.c.id if oldest_first else alerts.c.id.desc()
        query = select(alerts).order_by(order).limit(limit)
        if state is not None:
            query = query.where(alerts.c.state == state)
        with self.database.reading() as conn:
            return [_alert(row) for row in conn.execute(query)]

    def actions_of(self, alert_id: int) -> list[ActionRow]:
        """The alert's actions, in the order they were made pending."""
        query = (
            select(alert_actions)
            .where(alert_actions.c.alert_id == alert_id)
            .order_by(alert_actions.c.id)
        )
        with self.database.reading() as conn:
            return [_action(row) for row in conn.execute(query)]

    def action_counts(self) -> dict[str, int]:
        """How many actions are in each status."""
        counts: dict[str, int] = {}
        with self.database.reading() as conn:
            for (status,) in conn.execute(select(alert_actions.c.status)):
                counts[status] = counts.get(status, 0) + 1
        return counts

    def claim_due(self, now: float, lease: float) -> list[ActionRow]:
        """Claim the actions due at ``now`` (pending or waiting to retry, or running under a
        lease that ran out: its process died) for ``lease`` seconds. Each row is claimed by one
        process only: the claim is an update that only one can win."""
        due = or_(
            and_(alert_actions.c.status.in_(["pending", "retry"]), alert_actions.c.next_try <= now),
            and_(alert_actions.c.status == "running", alert_actions.c.lease_until < now),
        )
        with self.database.reading() as conn:
            candidates = [_action(r) for r in conn.execute(select(alert_actions).where(due))]
        claimed = []
        for row in candidates:
            with self.database.writing() as conn:
                won = conn.execute(
                    update(alert_actions)
                    .where(alert_actions.c.id == row.id, due)
                    .values(status="running", lease_until=now + lease)
                ).rowcount
            if won == 1:
                claimed.append(row)
        return claimed

    def finish_in(
        self,
        conn: Connection,
        action_id: int,
        *,
        status: str,
        attempts: int,
        next_try: float,
        result: dict[str, Any],
    ) -> None:
        """Record an attempt's outcome: ``done``, ``retry`` (at ``next_try``) or ``failed``."""
        conn.execute(
            update(alert_actions)
            .where(alert_actions.c.id == action_id)
            .values(
                status=status,
                attempts=attempts,
                next_try=next_try,
                lease_until=None,
                result=json.dumps(result, sort_keys=True),
            )
        )
