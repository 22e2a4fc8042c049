# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html written by vdi.firewall.plan, opened in headless Chromium as a reviewer opens it (offline)."""

from __future__ import annotations

import json
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from .test_export_matrix import ROOT, run

SCREENSHOTS = ROOT / "tests" / "output"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000")


@pytest.fixture(scope="module", name="report")
def fixture_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix/inventory.yml"), "vdi.firewall.plan",
                 "-e", f"vdi_firewall_output_dir={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout + result.stderr  # dot and openpyxl are there: nothing degraded
    return out / "report.html"


@pytest.fixture(scope="module", name="browser")
def fixture_browser(tmp_path_factory):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("headless Chromium is needed: install the Debian packages chromium and chromium-driver (make setup)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(driver), options=options)
    yield browser
    browser.quit()


@pytest.fixture(name="page")
def fixture_page(browser, report):
    browser.get(report.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def rows(page, table_id, shown=True):
    """Cell texts of the table's body rows that the browser shows (or hides), in one round trip."""
    return page.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tbody tr'))"
        ".filter(row => (row.offsetParent !== null) === arguments[1])"
        ".map(row => Array.from(row.cells).map(cell => cell.innerText || cell.textContent));",
        table_id, shown)


def test_page_loads_without_console_errors_or_network(page):
    logs = page.get_log("browser")
    assert not [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")], logs
    requests = [json.loads(entry["message"])["message"] for entry in page.get_log("performance")]
    urls = {item["params"]["request"]["url"] for item in requests if item["method"] == "Network.requestWillBeSent"}
    # the page itself and nothing from any network (chrome:// pages are the browser's own)
    assert any(url.startswith("file://") and url.endswith("report.html") for url in urls), urls
    assert not [url for url in urls if url.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))], urls
    assert page.title == "Firewall plan: Citrix"


def test_diagram_renders_every_component(page):
    svg = page.find_element(By.CSS_SELECTOR, "#diagram svg")
    assert svg.size["width"] > 400 and svg.size["height"] > 200
    nodes = page.find_elements(By.CSS_SELECTOR, "#diagram svg g.node")
    components = page.find_elements(By.CSS_SELECTOR, "#components tbody tr")
    assert len(nodes) == len(components) > 10
    labels = " ".join(node.get_attribute("textContent") for node in nodes)
    for name in ("Citrix Delivery Controller", "Citrix StoreFront", "ctx-ddc1, ctx-ddc2", "Microsoft SQL Server"):
        assert name in labels
    assert len(page.find_elements(By.CSS_SELECTOR, "#diagram svg g.edge")) > 20
    assert not page.find_elements(By.ID, "diagram-missing")


def test_filtering_the_flow_matrix(page):
    every = rows(page, "flow-table")
    assert len(every) > 50
    box = page.find_element(By.ID, "flow-table-filter")
    box.send_keys("storefront 443")
    shown, hidden = rows(page, "flow-table"), rows(page, "flow-table", shown=False)
    assert 0 < len(shown) < len(every) and len(shown) + len(hidden) == len(every)
    for cells in shown:
        text = " ".join(cells).lower()
        assert "storefront" in text and "443" in text
    for cells in hidden:
        text = " ".join(cells).lower()
        assert not ("storefront" in text and "443" in text)
    assert page.find_element(By.ID, "flow-table-count").text == f"{len(shown)} of {len(every)} shown"
    box.clear()
    box.send_keys("no-such-flow")
    assert rows(page, "flow-table") == []
    page.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'));", box)
    assert len(rows(page, "flow-table")) == len(every)


def test_sorting_the_flow_matrix_by_clicking_headers(page):
    header = page.find_element(By.XPATH, "//table[@id='flow-table']/thead/tr/th[text()='Protocol']")
    header.click()
    protocols = [cells[2] for cells in rows(page, "flow-table")]
    assert protocols == sorted(protocols) and len(set(protocols)) > 1
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    protocols = [cells[2] for cells in rows(page, "flow-table")]
    assert protocols == sorted(protocols, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    page.find_element(By.XPATH, "//table[@id='flow-table']/thead/tr/th[text()='Ports']").click()
    first = [int(cells[3].split(",")[0].split("-")[0]) for cells in rows(page, "flow-table") if cells[3].strip()]
    assert first == sorted(first)  # numbers sort as numbers, not as text


def test_hosts_and_warnings_are_listed_and_filterable(page):
    warnings = rows(page, "warning-table")
    assert warnings and any("Plaintext with a secure alternative" in cells[0] for cells in warnings)
    hosts = page.find_elements(By.CSS_SELECTOR, "#host-list details.host")
    assert len(hosts) >= 8
    box = page.find_element(By.ID, "host-list-filter")
    box.send_keys("ctx-vda")
    shown = [host for host in hosts if host.is_displayed()]
    assert len(shown) == 1 and "ctx-vda1, ctx-vda2, ctx-vda3" in shown[0].text
    shown[0].find_element(By.TAG_NAME, "summary").click()
    assert "vdi-in-tcp-user_device" in shown[0].text


def test_screenshots_for_review(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert page.save_screenshot(str(SCREENSHOTS / "report-summary.png"))
    page.find_element(By.ID, "diagram-size").click()  # fit the whole diagram to the page width
    page.execute_script("document.getElementById('diagram-section').scrollIntoView()")
    assert page.save_screenshot(str(SCREENSHOTS / "report-diagram.png"))
    page.find_element(By.ID, "flow-table-filter").send_keys("storefront")
    page.execute_script("document.getElementById('flows').scrollIntoView()")
    assert page.save_screenshot(str(SCREENSHOTS / "report-flows-filtered.png"))
    for name in ("report-summary.png", "report-diagram.png", "report-flows-filtered.png"):
        assert (SCREENSHOTS / name).stat().st_size > 20_000
