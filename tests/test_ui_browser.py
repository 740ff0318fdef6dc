"""The reading room in a real browser: Debian's Chromium driven by selenium through chromedriver
(scripts/install-chromium.sh installs both; nothing downloads a browser), against ``reewatch ui``
running as its own process on loopback over a real DuckDB file.

Set REEWATCH_UPDATE_SCREENSHOT=1 to refresh docs/ui-screenshot.png (the README's picture).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_ui_support import TOPIC, UiServer, build_ui_db, rows, ui_env, ui_server, wait_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[1]
DOCS_SHOT = REPO / "docs" / "ui-screenshot.png"
WINDOW = (1280, 1000)
# The first write of a session starts Prefect's ephemeral server, which migrates a new SQLite
# database first: 20-90 s on 2 busy cores.  Later writes take 1-2 s (the slot's API round trips).
WRITER_READY_S = 300.0
# Re-scoring loads the embedding model in the server (5-20 s) and embeds the stored articles.
RETRAIN_S = 300.0

if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
    pytest.skip("/usr/bin/chromium or /usr/bin/chromedriver is missing: run scripts/install-chromium.sh "
                "(apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only with the browser present)
from selenium.common.exceptions import NoAlertPresentException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    work = tmp_path_factory.mktemp("ui-browser")
    db = build_ui_db(work / "ui.duckdb")
    with ui_server(db, work) as s:
        wait_for(lambda: "writer: ready" in httpx.get(f"{s.url}/healthz", timeout=10).text, WRITER_READY_S,
                 "the writer slot's Prefect client", every_s=1.0)
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="reewatch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--force-device-scale-factor=1", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _labels(db: Path) -> list[tuple[object, ...]]:
    return rows(db, "SELECT canonical_url, topic, label FROM labels ORDER BY 1")


def _no_script_ran(driver: WebDriver) -> None:
    # WebDriver's own script runs whatever the page's policy says: it can look at the globals
    assert driver.execute_script("return typeof window.__xss") == "undefined", "an injected script ran"
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text


def _story_ids(driver: WebDriver) -> list[str]:
    return [e.get_attribute("data-story-id") or "" for e in driver.find_elements(By.CSS_SELECTOR, "li.story")]


def _job_status(driver: WebDriver) -> str:
    """The job page's status; "" while the page reloads itself (meta refresh) under us."""
    try:
        found = driver.find_elements(By.ID, "job-status")
        return (found[0].get_attribute("data-status") or "") if found else ""
    except WebDriverException:
        return ""


def _wait_job(driver: WebDriver, what: str) -> None:
    wait_for(lambda: _job_status(driver) in ("done", "failed"), RETRAIN_S, what, every_s=2.0)
    assert _job_status(driver) == "done", driver.page_source[-3000:]  # a finished job's page stops reloading


def _click_label(driver: WebDriver, scope: Any, value: str) -> None:
    scope.find_element(By.CSS_SELECTOR, f"form.label-form button[data-label='{value}']").click()


def test_filter_by_language_open_a_story_and_mark_it_not_relevant(server: UiServer, browser: WebDriver) -> None:
    browser.get(f"{server.url}/stories")
    assert browser.title.startswith("Stories")
    assert len(_story_ids(browser)) == 7
    if os.environ.get("REEWATCH_UPDATE_SCREENSHOT") == "1":
        browser.set_window_size(1100, 900)
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(DOCS_SHOT))
        browser.set_window_size(*WINDOW)

    Select(browser.find_element(By.ID, "lang")).select_by_value("de")
    browser.find_element(By.ID, "apply").click()
    wait_for(lambda: "lang=de" in browser.current_url, 30, "the filtered page")
    assert _story_ids(browser) == ["s-licences", "s-fonds"]
    assert all("de" in e.text for e in browser.find_elements(By.CSS_SELECTOR, "li.story .langs"))

    browser.find_element(By.CSS_SELECTOR, "li.story[data-story-id='s-fonds'] a.story-link").click()
    wait_for(lambda: "/story/s-fonds" in browser.current_url, 30, "the story page")
    assert browser.find_element(By.CSS_SELECTOR, "h1.headline").text == "Bundesregierung plant Rohstofffonds für Seltene Erden"
    assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline circle")

    _click_label(browser, browser.find_element(By.CSS_SELECTOR, "main > div.actions"), "irrelevant")
    wait_for(lambda: "job=" in browser.current_url, 30, "the page after the click")
    notice = browser.find_element(By.ID, "notice").text
    if notice.startswith("queued:"):  # the slot's round trips took longer than the click waits (busy cores)
        wait_for(lambda: ("https://rohstoff.example/fonds", TOPIC, "irrelevant") in _labels(server.db), 60, "the label")
        browser.refresh()
        notice = browser.find_element(By.ID, "notice").text
    assert notice.startswith("saved: irrelevant for rare-earth-trade"), notice
    assert browser.find_element(By.ID, "story-label").text == "your label (rare-earth-trade): not relevant"
    assert "chosen" in (browser.find_element(By.CSS_SELECTOR, "main > div.actions button[data-label='irrelevant']")
                        .get_attribute("class") or "")
    assert ("https://rohstoff.example/fonds", TOPIC, "irrelevant") in _labels(server.db)
    _no_script_ran(browser)


def test_titles_and_texts_that_are_attacks_render_as_text(server: UiServer, browser: WebDriver) -> None:
    browser.get(f"{server.url}/stories?order=newest")
    _no_script_ran(browser)
    xss = browser.find_element(By.CSS_SELECTOR, "li.story[data-story-id='s-xss']")
    assert "<script>window.__xss = 1; alert(1)</script>Magnet" in xss.find_element(By.TAG_NAME, "h2").text
    assert '<b onmouseover="window.__xss=6">Evil Outlet</b>' in xss.text
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main script, main b[onmouseover]")

    browser.get(f"{server.url}/story/s-xss")
    _no_script_ran(browser)
    for summary in browser.find_elements(By.CSS_SELECTOR, "details summary"):
        summary.click()  # open the extracted texts
    text = browser.find_element(By.CSS_SELECTOR, "ol.members").text
    assert "<script>window.__xss = 3</script>" in text and "<svg onload=window.__xss=5></svg>" in text
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main script, ol.members svg, main b")
    links = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "a.out")]
    assert links == ["https://evil.example/xss"], "a javascript: URL is shown, never linked"
    source = browser.page_source
    assert "&lt;script&gt;window.__xss = 1" in source and "<script" not in source.lower()
    _no_script_ran(browser)


HOLD_SLOT = """
import sys
from pathlib import Path
from flows.writer import one_writer
with one_writer(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def test_a_label_clicked_while_an_ingest_holds_the_slot_is_stored_when_it_ends(
    server: UiServer, browser: WebDriver, tmp_path: Path
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SLOT, str(server.db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=ui_env(), cwd=tmp_path)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        browser.get(f"{server.url}/story/s-talks")
        member = browser.find_element(By.CSS_SELECTOR, "li.member[data-url='https://trade.example/talks']")
        _click_label(browser, member, "adjacent")
        wait_for(lambda: "job=" in browser.current_url, 60, "the page after the click")
        notice = browser.find_element(By.ID, "notice").text
        assert notice.startswith("queued:") and f"process {holder.pid}" in notice, notice
        time.sleep(2)
        assert ("https://trade.example/talks", TOPIC, "adjacent") not in _labels(server.db), "written while held"
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(60)
    wait_for(lambda: ("https://trade.example/talks", TOPIC, "adjacent") in _labels(server.db), WRITER_READY_S,
             "the queued label")
    browser.refresh()
    assert browser.find_element(By.ID, "notice").text.startswith("saved: adjacent")
    member = browser.find_element(By.CSS_SELECTOR, "li.member[data-url='https://trade.example/talks']")
    assert "your label: adjacent" in member.text


def test_retrain_shows_before_and_after_and_the_rescore_changes_stored_labels(
    server: UiServer, browser: WebDriver
) -> None:
    browser.get(f"{server.url}/story/s-carmaker")
    _click_label(browser, browser.find_element(By.CSS_SELECTOR, "main > div.actions"), "relevant")
    wait_for(lambda: ("https://auto.example/line-stops", TOPIC, "relevant") in _labels(server.db), WRITER_READY_S,
             "the label")
    browser.get(f"{server.url}/story/s-tram")
    _click_label(browser, browser.find_element(By.CSS_SELECTOR, "main > div.actions"), "irrelevant")
    wait_for(lambda: ("https://city.example/tram", TOPIC, "irrelevant") in _labels(server.db), WRITER_READY_S,
             "the label")
    stored = dict(rows(server.db, "SELECT canonical_url, label FROM relevance WHERE topic = ?", [TOPIC]))
    assert stored["https://city.example/tram"] == "relevant", "stored by an older head, by mistake"

    browser.get(f"{server.url}/retrain")
    browser.find_element(By.CSS_SELECTOR, f"button.evaluate[data-topic='{TOPIC}']").click()
    _wait_job(browser, "the retrain preview")
    before = browser.find_element(By.ID, "before").text
    after = browser.find_element(By.ID, "after").text
    assert "%" in before and "%" in after and "cross-validated" in after, (before, after)
    would = browser.find_element(By.ID, "would-change").text
    assert int(would.split()[0]) >= 1, would
    assert rows(server.db, "SELECT count(*) FROM relevance_heads")[0][0] == 0, "a preview stores nothing"

    browser.find_element(By.ID, "confirm-retrain").click()
    _wait_job(browser, "the retrain")
    changed = int(browser.find_element(By.ID, "changed").text)
    assert changed >= 1
    after_rows = dict(rows(server.db, "SELECT canonical_url, label FROM relevance WHERE topic = ?", [TOPIC]))
    assert after_rows["https://city.example/tram"] != "relevant"
    assert sum(after_rows[u] != stored[u] for u in stored) == changed
    versions = {v for (v,) in rows(server.db, "SELECT DISTINCT model_version FROM relevance WHERE topic = ?", [TOPIC])}
    assert versions == {f"{TOPIC}-h1"}
    _no_script_ran(browser)
