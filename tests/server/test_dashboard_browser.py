"""The dashboard in real headless Chromium (Debian's chromium and chromium-driver, installed by
.ci/run): sign in with a token, follow the links, read a run's outcomes; screenshots are kept
in build/screenshots/ as test artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token
from tests.helpers.paths import REPO
from tests.helpers.server import PUSH_SPEC, serve_process

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = REPO / "build" / "screenshots"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver are not installed"
)

if CHROMIUM and CHROMEDRIVER:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    assert CHROMIUM
    assert CHROMEDRIVER
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(10)  # a lookup right after a click waits for the next page
    try:
        yield driver
    finally:
        driver.quit()


def push_runs(base: str, auditee: str, accuracies: tuple[float, ...]) -> None:
    """Upload the push spec and one run of model@1 per accuracy, as the auditee."""
    import httpx

    headers = {"Authorization": f"Bearer {auditee}"}
    httpx.post(f"{base}/api/v1/specs", json=PUSH_SPEC, headers=headers).raise_for_status()
    for accuracy in accuracies:
        body = {
            "spec": "quality",
            "target": "model@1",
            "values": [
                {"measurement": "accuracy", "value": accuracy},
                {"measurement": "latency", "value": 40},
            ],
        }
        httpx.post(f"{base}/api/v1/evidence", json=body, headers=headers).raise_for_status()


def shot(driver: webdriver.Chrome, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_the_dashboard_in_chromium(browser: webdriver.Chrome, tmp_path: Path) -> None:

    url = f"sqlite:///{tmp_path / 'assay.db'}"
    store = open_store(DatabaseChoice(url, "test"))
    try:
        _, auditee = create_token(store, name="team", role=Role.auditee)
        _, auditor = create_token(store, name="Ada Auditor", role=Role.auditor)
    finally:
        store.close()
    with serve_process(url, "--no-scheduler", home=tmp_path) as (_, base):
        push_runs(base, auditee, (0.91, 0.88, 0.6))

        browser.get(f"{base}/ui")
        assert browser.current_url.endswith("/ui/login"), "signed-out visitors sign in first"
        browser.find_element(By.ID, "token").send_keys("assay_wrong_token")
        browser.find_element(By.ID, "sign-in").click()
        assert "not valid" in browser.find_element(By.ID, "problem").text
        browser.find_element(By.ID, "token").send_keys(auditor)
        browser.find_element(By.ID, "sign-in").click()
        browser.find_element(By.LINK_TEXT, "Sign out")
        shot(browser, "targets")
        row = browser.find_element(By.CSS_SELECTOR, "#targets tr:nth-child(2)")
        assert "model@1" in row.text
        assert "non-conformant" in row.text
        assert "Ada Auditor (auditor)" in browser.find_element(By.TAG_NAME, "header").text

        browser.find_element(By.LINK_TEXT, "model@1").click()
        browser.find_element(By.ID, "runs")
        assert browser.title.startswith("Target model@1")
        runs = browser.find_elements(By.CSS_SELECTOR, "#runs tr")[1:]
        assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in runs] == [
            "fail",
            "pass",
            "pass",
        ]
        charts = browser.find_elements(By.CSS_SELECTOR, "figure.trend svg")
        assert len(charts) == 1, "accuracy is charted; confidential latency is not"
        shot(browser, "target")

        runs[0].find_element(By.TAG_NAME, "a").click()
        assert browser.find_element(By.ID, "verdict").text == "Verdict: fail"
        outcomes = {
            row.get_attribute("data-id"): row.find_elements(By.TAG_NAME, "td")
            for row in browser.find_elements(By.CSS_SELECTOR, "#outcomes tr[data-id]")
        }
        assert outcomes["accuracy"][2].text == "fail"
        assert outcomes["accuracy"][3].text == "0.6"
        assert outcomes["latency"][3].text == "[confidential]", "redacted for this auditor"
        shot(browser, "run")

        browser.find_element(By.LINK_TEXT, "Ledger").click()
        assert "verifies" in browser.find_element(By.ID, "verification").text
        browser.find_element(By.LINK_TEXT, "Maturity").click()
        assert browser.find_element(By.ID, "projects")
        shot(browser, "ledger-and-maturity")
        browser.find_element(By.LINK_TEXT, "Sign out").click()
        browser.find_element(By.ID, "sign-in")
        browser.get(f"{base}/ui/ledger")
        assert browser.current_url.endswith("/ui/login")


def test_the_maturity_radar_page(browser: webdriver.Chrome, tmp_path: Path) -> None:
    from assay.demo.run import run_demo  # the demo saves two rounds of an example assessment

    demo = tmp_path / "demo"
    from rich.console import Console

    assert run_demo(demo, Console(file=open(tmp_path / "demo.log", "w")), "assay")  # noqa: SIM115
    database = next(demo.glob("*.db"))
    url = f"sqlite:///{database}"
    store = open_store(DatabaseChoice(url, "test"))
    try:
        _, token = create_token(store, name="lead", role=Role.auditor)
    finally:
        store.close()
    with serve_process(url, "--no-scheduler", home=tmp_path) as (_, base):
        browser.get(f"{base}/ui/login")
        browser.find_element(By.ID, "token").send_keys(token)
        browser.find_element(By.ID, "sign-in").click()
        browser.find_element(By.LINK_TEXT, "Sign out")
        browser.get(f"{base}/ui/maturity")
        link = browser.find_element(By.CSS_SELECTOR, "#projects a")
        link.click()
        assert browser.find_element(By.CSS_SELECTOR, "#radar-1 svg")
        headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#rounds th")]
        assert headings == ["Area", "2026-Q1", "2026-Q3", "Change"]
        first = browser.find_element(By.CSS_SELECTOR, "#rounds tr:nth-child(2)").text
        assert first.startswith("People 0 1 +1"), "areas in the framework's order, with the change"
        shot(browser, "maturity")
        # The demo's 90 days of delivery events, on the Delivery page.
        browser.find_element(By.LINK_TEXT, "Delivery").click()
        services = [
            row.find_element(By.TAG_NAME, "td").text
            for row in browser.find_elements(By.CSS_SELECTOR, "#dora tr")[1:]
        ]
        assert services == ["credit-api", "scoring-batch", "web-app"]
        assert browser.find_elements(By.CSS_SELECTOR, ".charts svg")
        models = [
            row.find_element(By.TAG_NAME, "td").text
            for row in browser.find_elements(By.CSS_SELECTOR, "#ml tr")[1:]
        ]
        # The assistant appears once its P1 alert rolled it back (a model deployment event).
        assert models == ["churn", "credit-default", "support-assistant"]
        lead = browser.find_element(By.CSS_SELECTOR, "#dora tr:nth-child(2) td:nth-child(3)")
        assert "tier-elite" in (lead.get_attribute("class") or "")
        shot(browser, "delivery")
        # The demo's LLM assistant and the alerts its degradation raised.
        browser.find_element(By.LINK_TEXT, "Alerts").click()
        cells = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "table td")]
        assert "faithfulness-with-downvotes" in cells
        assert "P1" in cells
        shot(browser, "alerts")
        browser.find_element(By.LINK_TEXT, "LLM").click()
        heads = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "table th")]
        assert any("version=support-assistant@3" in head for head in heads)
        shot(browser, "llm")


def test_the_public_status_page_on_a_phone(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """Without a token, at a phone's width: the state, the badge, each dimension's outcome and
    the timeline of changes, nothing wider than the screen."""

    url = f"sqlite:///{tmp_path / 'assay.db'}"
    store = open_store(DatabaseChoice(url, "test"))
    try:
        _, auditee = create_token(store, name="team", role=Role.auditee)
    finally:
        store.close()
    with serve_process(url, "--no-scheduler", home=tmp_path) as (_, base):
        push_runs(base, auditee, (0.91, 0.6))
        browser.set_window_size(390, 844)
        browser.get(f"{base}/status/model@1")
        assert browser.find_element(By.ID, "status").text == "non-conformant"
        assert browser.find_element(By.CSS_SELECTOR, ".summary svg")
        assert browser.find_element(By.ID, "evaluated").text.endswith(" UTC")
        changes = browser.find_elements(By.CSS_SELECTOR, "ol.timeline li")
        assert [c.find_element(By.CSS_SELECTOR, ".state").text for c in changes] == [
            "non-conformant",
            "conformant",
        ]
        assert browser.find_elements(By.CSS_SELECTOR, "table.dimensions td.fail")
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
        shot(browser, "public-status-phone")
        browser.get(f"{base}/status/nobody@1")
        assert "no audit run is recorded" in browser.find_element(By.TAG_NAME, "main").text


def test_audit_reports_fit_a_1280_pixel_window(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The example spec's HTML report for each audience, opened in Chromium at 1280 px: no
    table makes the page scroll sideways."""
    import subprocess
    import sys

    example = REPO / "src" / "assay" / "examples" / "audit" / "credit-model" / "spec.yaml"
    env = {"ASSAY_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    browser.set_window_size(1280, 1000)
    for audience in ("engineer", "auditor", "executive"):
        page = tmp_path / f"{audience}.html"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "assay",
                "audit",
                "run",
                str(example),
                "-f",
                "html",
                "--audience",
                audience,
                "-o",
                str(page),
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )
        browser.get(page.as_uri())
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the {audience} report is {overflow}px wider than 1280"
        shot(browser, f"audit-report-{audience}")
