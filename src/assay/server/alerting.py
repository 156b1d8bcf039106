"""The alert loop of a server process: every ``interval`` seconds it evaluates the SLO file the
administrator gave (``assay serve --slos``) and runs the due actions. Several processes may
run it against one PostgreSQL: an alert opens once per rule and each action is claimed by one
process (:mod:`assay.store.alerts`)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from assay.catalog.metrics import load_prices
from assay.errors import AssayError
from assay.files.slo import load_slo_file
from assay.metrics.slo import SloFile
from assay.services.alerts import evaluate_alerts, run_due_actions
from assay.store import Store

__all__ = ["AlertLoop"]

log = logging.getLogger("assay.alerts")


class AlertLoop:
    """Evaluates ``slo_file`` against ``store`` every ``interval`` seconds in a thread."""

    def __init__(
        self, store: Store, slo_file: Path, *, interval: float, prices: Path | None = None
    ) -> None:
        self.store, self.interval = store, interval
        self.slos: SloFile = load_slo_file(slo_file)  # a bad file stops the server at start
        self.prices = load_prices(prices)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """One evaluation and one pass over the due actions; failures are logged, not raised
        (the next pass tries again)."""
        try:
            evaluate_alerts(self.store, self.slos, now=datetime.now(UTC), prices=self.prices)
            run_due_actions(self.store, self.slos)
        except AssayError as error:
            log.error("alert evaluation failed: %s", error.message)
        except Exception:  # the loop must survive anything one pass meets
            log.exception("alert evaluation failed")

    def start(self) -> None:
        """Run in a daemon thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.is_set():
                self.run_once()
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=loop, name="assay-alerts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the pass it is in)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
