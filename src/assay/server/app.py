"""The FastAPI application: ``create_app(settings)`` serves the store the settings name.

Routers: the public status and badges (:mod:`.public`), the Audit API (:mod:`.api`), event
intake (:mod:`.events`), Prometheus metrics (:mod:`.metrics`) and the dashboard
(:mod:`.dashboard`). Errors are JSON ``{"error": {"code", "message"}}`` (:mod:`.errors`). The
scheduler (:mod:`.scheduler`) runs in a thread of each process when enabled.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from assay import __version__
from assay.server import api, dashboard, events, keys, metrics, otlp, public, webhooks
from assay.server.alerting import AlertLoop
from assay.server.api.evidence_lane import EvidenceLane
from assay.server.errors import BodyLimit, install_error_handlers
from assay.server.scheduler import Scheduler
from assay.server.settings import ServerSettings
from assay.server.signing import start_signing
from assay.store import open_store

__all__ = ["create_app", "create_app_from_environment"]


def create_app(settings: ServerSettings) -> FastAPI:
    """The Audit API on the database ``settings`` names (opened and migrated at start-up)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.choice)
        app.state.signing_key = start_signing(app.state.store, settings)
        scheduler = Scheduler(
            app.state.store,
            settings.spec_base,
            tick=settings.tick,
            lease=settings.lease,
            confinement=settings.confinement,
        )
        app.state.scheduler = scheduler
        alerts = None
        if settings.slo_file:
            alerts = AlertLoop(
                app.state.store,
                Path(settings.slo_file),
                interval=settings.alert_interval,
                prices=Path(settings.llm_prices) if settings.llm_prices else None,
            )
            alerts.start()
        if settings.scheduler:
            scheduler.start()
        if settings.freeze_startup_objects:
            # The modules, the application and its schemas live as long as the process. Each
            # request makes thousands of objects, which start full collections; frozen, the
            # start-up objects are no longer walked by them: a 1,000-value push took half the
            # time in process (benchmarks/README.md, "Fewer round trips, and the garbage
            # collector").
            gc.collect()
            gc.freeze()
        if settings.gc_young_threshold is not None:
            gc.set_threshold(settings.gc_young_threshold, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            scheduler.stop()
            if alerts is not None:
                alerts.stop()
            app.state.store.close()

    app = FastAPI(
        title="assay Audit API",
        version=__version__,
        description="Continuous audit-based certification: specifications, targets, runs, "
        "evidence, reports, assessor verdicts, the evidence ledger, certificates, event "
        "intake, public conformity status and badges. Send `Authorization: Bearer TOKEN` "
        "(assay token create) to everything under /api/v1.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics_cache = {}  # the delivery figures of /metrics, refreshed each minute
    install_error_handlers(app)
    app.add_middleware(EvidenceLane)  # inside the body limit: the last added runs first
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    for router in (
        public.router,
        keys.router,
        *api.ROUTERS,
        events.router,
        webhooks.router,
        otlp.router,
        metrics.router,
        dashboard.router,
    ):
        app.include_router(router)
    return app


def create_app_from_environment() -> FastAPI:
    """The application for a worker process started by ``assay serve --workers N``."""
    return create_app(ServerSettings.from_environment())
