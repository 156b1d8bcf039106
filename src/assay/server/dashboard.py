"""The dashboard: server-rendered pages under ``/ui`` (no front-end build step), signed in with
an API token kept in an HttpOnly cookie. Targets and their status, a target's runs and
measurement trends, a run's outcome tree, the maturity radar of saved rounds, and ledger
verification. What a page shows follows the token's role, scope and internal access, exactly
as the API does."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache, wraps
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from assay.audit.run_model import RunModel, element_rows
from assay.maturity.history import ROUND_KIND
from assay.metrics.windows import Window
from assay.reports.audit_json import Audience, for_audience, visible_run
from assay.server.auth import in_scope, presented_token, store_of
from assay.server.threads import in_thread
from assay.services.audit_actions import current_statuses
from assay.services.registrations import registrations
from assay.store.audit_log import AuditLog
from assay.store.rounds import load_history
from assay.store.tokens import Role, Token, find_token

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
COOKIE = "assay_token"
RUN_READERS = (Role.auditee, Role.auditor)


@cache
def _environment() -> Environment:
    from assay.reports.metrics_report import figure
    from assay.reports.templating import template_environment

    return template_environment(html=True, filters={"figure": figure})


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    page = _environment().get_template(f"dashboard/{template}.html.j2").render(context)
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


class _SignIn(Exception):
    pass


def _viewer(request: Request, *roles: Role) -> Token:
    token = presented_token(request)
    if token is None:
        raise _SignIn
    if roles and token.role not in roles:
        raise _Forbidden(token)
    return token


class _Forbidden(Exception):
    def __init__(self, token: Token) -> None:
        self.token = token


def _guarded(render: Any) -> Any:
    """Send visitors without a valid token to the sign-in page; show a 403 page to a token
    of the wrong role."""

    @wraps(render)
    def page(*args: Any, **kwargs: Any) -> Response:
        try:
            response: Response = render(*args, **kwargs)
            return response
        except _SignIn:
            return RedirectResponse("/ui/login", status_code=303)
        except _Forbidden as refused:
            return _page(
                "base",
                403,
                title=f"A {refused.token.role.value} token cannot open this page",
                token=refused.token,
            )

    return page


@router.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    return _page("login", title="Sign in", token=None, problem=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    presented = (form.get("token") or [""])[0].strip()
    token = await in_thread(find_token, store_of(request), presented)
    if token is None:
        problem = "That token is not valid (unknown, revoked or mistyped)."
        return _page("login", 401, title="Sign in", token=None, problem=problem)
    response = RedirectResponse("/ui", status_code=303)
    response.set_cookie(COOKIE, presented, httponly=True, samesite="strict", path="/")
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
@_guarded
def targets(request: Request) -> HTMLResponse:
    token = _viewer(request)
    store = store_of(request)
    modes = {(r.spec, r.target): r.mode.value for r in registrations(store)}
    rows = [
        row.to_dict() | {"mode": modes.get((row.spec, row.target), "self-assessment")}
        for row in current_statuses(store, datetime.now(UTC), record=False)
        if in_scope(token, row.spec, row.target)
    ]
    return _page(
        "targets",
        title="Targets",
        token=token,
        rows=rows,
        can_read_runs=token.role in RUN_READERS,
    )


def _sees_values(token: Token) -> bool:
    return token.role is Role.auditee or token.internal


@router.get("/targets/{target}", response_class=HTMLResponse)
@_guarded
def target_page(target: str, request: Request) -> HTMLResponse:
    token = _viewer(request, *RUN_READERS)
    runs = [
        run
        for run in AuditLog(store_of(request).ledger).runs(target=target)
        if in_scope(token, run.spec.id, target)
    ]
    audience = Audience.engineer if _sees_values(token) else Audience.auditor
    visible = [visible_run(run, audience) for run in runs]
    return _page(
        "target",
        title=f"Target {target}",
        token=token,
        target=target,
        runs=[
            {
                "run_id": run.run_id,
                "spec": run.spec.id,
                "verdict": run.verdict,
                "finished": run.finished,
                "trigger": (run.trigger or {}).get("kind", "command line"),
            }
            for run in reversed(visible)
        ],
        charts=_trend_charts(visible),
    )


def _trend_charts(runs: list[RunModel]) -> list[dict[str, str]]:
    """One chart per numeric measurement with a value in at least one run (a single run is a
    single point)."""
    from assay.reports.charts import trend_svg

    points: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    targets: dict[tuple[str, str], Any] = {}
    for run in runs:
        for node in run.measurements():
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            key = (run.spec.id, node.id)
            points[key].append((str(run.finished)[5:16], float(value)))
            targets[key] = (node.comparison, node.target)
    charts = []
    for (spec, measurement), series in sorted(points.items()):
        comparison, target = targets[(spec, measurement)]
        note = f"{comparison} {target}" if target is not None else None
        svg = trend_svg(series, title=f"{spec}: {measurement}", target=note)
        charts.append({"id": f"{spec}-{measurement}", "svg": svg})
    return charts


@router.get("/runs/{run_id}", response_class=HTMLResponse)
@_guarded
def run_page(run_id: str, request: Request) -> HTMLResponse:
    token = _viewer(request, *RUN_READERS)
    run = AuditLog(store_of(request).ledger).run(run_id)
    if run is None or not in_scope(token, run.spec.id, run.target):
        return _page("base", 404, title=f"No run {run_id}", token=token)
    audience = Audience.engineer if _sees_values(token) else Audience.auditor
    shown = for_audience(run, audience)
    return _page(
        "run",
        title=f"Run {run.run_id}",
        token=token,
        run=shown,
        audience=audience.value,
        rows=list(element_rows(shown["dimensions"])),
    )


@router.get("/metrics", response_class=HTMLResponse)
@_guarded
def delivery_metrics(request: Request, environment: str = "production") -> HTMLResponse:
    """The delivery keys per service and the ML life cycle per model over the last 28 days,
    with trend charts (auditors and admins, as the metrics API)."""
    token = _viewer(request, Role.auditor, Role.admin)
    if token.scope is not None:  # the page shows every service and model
        raise _Forbidden(token)
    from assay.metrics.windows import window_of
    from assay.reports.metrics_report import trend_charts
    from assay.services.metrics import DoraQuery, dora_report, ml_report

    window = window_of(now=datetime.now(UTC))
    store = store_of(request)
    dora = dora_report(store, DoraQuery(window=window, environment=environment[:200]))
    ml = ml_report(store, window=window, environment=environment[:200])
    return _page(
        "metrics",
        title="Delivery and ML life cycle",
        token=token,
        dora=dora,
        ml=ml,
        days=28,
        charts=trend_charts(dora["trend"]),
    )


@router.get("/llm", response_class=HTMLResponse)
@_guarded
def llm_metrics(request: Request, days: int = 1) -> HTMLResponse:
    """LLM behaviour and cost per model version and prompt, and the product signals, over the
    last ``days`` (auditors and admins, as the metrics API)."""
    token = _viewer(request, Role.auditor, Role.admin)
    if token.scope is not None:  # the page shows every service
        raise _Forbidden(token)
    from pathlib import Path

    from assay.catalog.metrics import load_prices
    from assay.reports.llm_report import llm_sections, product_sections
    from assay.services.llm_metrics import llm_report, product_report

    now = datetime.now(UTC)
    window = Window(now - timedelta(days=min(max(days, 1), 90)), now)
    store = store_of(request)
    prices = request.app.state.settings.llm_prices
    llm = llm_report(store, window, load_prices(Path(prices) if prices else None))
    product = product_report(store, window)
    return _page(
        "sections",
        title="LLM behaviour, cost and product signals",
        token=token,
        report=llm,
        sections=llm_sections(llm) + product_sections(product),
    )


@router.get("/alerts", response_class=HTMLResponse)
@_guarded
def alerts_page(request: Request) -> HTMLResponse:
    """The newest alerts with their actions (auditors and admins)."""
    token = _viewer(request, Role.auditor, Role.admin)
    if token.scope is not None:
        raise _Forbidden(token)
    store = store_of(request)
    rows = []
    for alert in store.alerts.listed(limit=200):
        actions = ", ".join(
            f"{a.action} ({a.phase}): {a.status}" for a in store.alerts.actions_of(alert.id)
        )
        rows.append(
            [
                str(alert.id),
                alert.alert_class,
                alert.rule,
                alert.state,
                datetime.fromtimestamp(alert.opened, UTC).isoformat(timespec="seconds"),
                alert.acknowledged_by or "",
                actions,
            ]
        )
    heads = ["id", "class", "rule", "state", "opened", "acknowledged by", "actions"]
    return _page(
        "sections",
        title="Alerts",
        token=token,
        report=None,
        sections=[("Alerts (P1-P2 page; P3 user experience; P4 minor)", heads, rows)],
    )


@router.get("/maturity", response_class=HTMLResponse)
@_guarded
def maturity_projects(request: Request) -> HTMLResponse:
    token = _viewer(request)
    projects = sorted(
        {
            str(entry.content.get("project"))
            for entry in store_of(request).ledger.entries(kind=ROUND_KIND)
            if isinstance(entry.content, dict)
        }
    )
    return _page("maturity", title="Maturity", token=token, projects=projects)


@router.get("/maturity/{project}", response_class=HTMLResponse)
@_guarded
def maturity_project(project: str, request: Request) -> HTMLResponse:
    token = _viewer(request)
    history = load_history(store_of(request).ledger, project)
    if not history.rounds:
        return _page("base", 404, title=f"No rounds of {project}", token=token)
    from assay.catalog.frameworks import builtin_framework_ids, load_framework
    from assay.reports.maturity_report import rounds_chart

    charts = []
    for framework_id in history.frameworks:
        # A round names its framework by id; the server reads only its own built-in ones (a
        # user's framework file is not on the server, and an id must never become a path).
        if framework_id not in builtin_framework_ids():
            continue
        framework = load_framework(framework_id)
        rounds = [r for r in history.rounds if r.framework == framework_id]
        charts.append({"framework": framework.name, "svg": rounds_chart(framework, rounds)})
    return _page(
        "maturity",
        title=f"Maturity of {project}",
        token=token,
        projects=None,
        history=history,
        charts=charts,
    )


@router.get("/ledger", response_class=HTMLResponse)
@_guarded
def ledger_page(request: Request) -> HTMLResponse:
    token = _viewer(request, Role.auditor, Role.admin)
    result = store_of(request).ledger.verify()
    return _page("ledger", title="Evidence ledger", token=token, result=result)
