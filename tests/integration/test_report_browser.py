# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html written by vdi.firewall.plan, opened in headless Chromium as a reviewer opens it (offline)."""

from __future__ import annotations

import base64
import json
import re
import shutil

import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from .test_export_matrix import ROOT, run

# artifacts for a person to look at (tests/output/ is not committed)
SCREENSHOTS = ROOT / "tests" / "output" / "screenshots"
WIDTHS = (800, 1400)
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
    browser.set_window_size(1400, 1000)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    browser.get(report.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def screenshot(page, name: str):
    """Save a screenshot of the window under tests/output/screenshots/ and print its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    assert page.save_screenshot(str(path))
    print(f"screenshot: {path}")
    assert path.stat().st_size > 10_000
    return path


def at_width(page, width: int):
    """The page reloaded in a window of the given width."""
    page.set_window_size(width, 1000)
    page.refresh()
    assert page.execute_script("return window.innerWidth") == width
    return page


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
    assert page.find_element(By.ID, "flow-table-count").text == f"{len(shown)} of {len(every)} flows shown"
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
    screenshot(page, "report-summary.png")
    page.find_element(By.ID, "diagram-size").click()  # fit the whole diagram to the page width
    page.execute_script("document.getElementById('diagram-section').scrollIntoView()")
    screenshot(page, "report-diagram.png")
    page.find_element(By.ID, "flow-table-filter").send_keys("storefront")
    page.execute_script("document.getElementById('flows').scrollIntoView()")
    screenshot(page, "report-flows-filtered.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_is_never_wider_than_the_window(page, width):
    at_width(page, width)
    sizes = page.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    screenshot(page, f"report-{width}.png")
    page.execute_script("document.getElementById('flows').scrollIntoView()")
    screenshot(page, f"report-{width}-flows.png")
    assert sizes[0] <= sizes[1], sizes
    # a wide table scrolls in its own box rather than being cut off
    clipped = page.execute_script(
        "return Array.from(document.querySelectorAll('main table')).filter(table => {"
        " var box = table.parentElement; return box.className !== 'table-wrap' || "
        " (table.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX !== 'auto'); }).length")
    assert clipped == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_the_diagram_is_whole_at_either_size(page, width):
    at_width(page, width)
    box = page.find_element(By.ID, "diagram")
    page.execute_script("arguments[0].scrollIntoView()", box)
    # actual size: as high as the drawing (no vertical cut), as wide as the page with a scroll bar
    actual = page.execute_script(
        "var box = arguments[0], svg = box.querySelector('svg').getBoundingClientRect();"
        "return [box.scrollHeight, box.clientHeight, svg.width, svg.height];", box)
    assert actual[0] <= actual[1] + 1 and actual[3] > 400, actual
    page.execute_script("document.getElementById('diagram-section').scrollIntoView()")
    screenshot(page, f"report-{width}-diagram-actual.png")
    page.find_element(By.ID, "diagram-size").click()
    fitted = page.execute_script(
        "var box = arguments[0], svg = box.querySelector('svg').getBoundingClientRect();"
        "return [box.scrollWidth, box.clientWidth, svg.width, svg.height];", box)
    page.execute_script("document.getElementById('diagram-section').scrollIntoView()")
    screenshot(page, f"report-{width}-diagram-fit.png")
    assert fitted[0] <= fitted[1] and fitted[2] <= fitted[1]
    # fitted to 1400 px the drawing keeps at least three quarters of its size: labels stay readable
    if width == 1400:
        assert fitted[2] / actual[2] >= 0.75, (fitted, actual)


def test_the_page_says_when_by_which_version_and_with_which_parameters(page):
    written = page.find_element(By.ID, "written").text
    assert re.search(r"Written \d{4}-\d\d-\d\d \d\d:\d\d UTC by vdi\.firewall ", written), written
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    assert page.find_element(By.ID, "version").text == version
    parameters = {cells[0]: cells[1] for cells in page.execute_script(
        "return Array.from(document.querySelectorAll('#parameter-table tr'))"
        ".map(row => Array.from(row.cells).map(cell => cell.innerText));")}
    assert parameters["Written"].endswith(f"by vdi.firewall {version}")
    for name in ("Secure only (vdi_firewall_secure_only)", "Supplements (vdi_firewall_supplements)",
                 "Journeys (vdi_firewall_journeys)", "Tiers (vdi_firewall_tiers)",
                 "Symbolic ports (vdi_firewall_symbolic_ports)", "Endpoints (vdi_firewall_endpoints)"):
        assert parameters[name], name
    assert parameters["Journeys (vdi_firewall_journeys)"] == "checked"
    assert "user_device" in parameters["Endpoints (vdi_firewall_endpoints)"]


def test_documents_are_listed_by_title_and_address(page):
    documents = rows(page, "document-table")
    titles = {cells[0]: cells for cells in documents}
    assert "Communication Ports Used by Citrix Technologies" in titles
    assert titles["Communication Ports Used by Citrix Technologies"][1] == "en"
    assert all(not cells[0].endswith(".txt") for cells in documents)  # the file name is not the title
    references = rows(page, "reference-table")
    assert any(cells[0] == "CTX113250" and "Required Ports" in cells[1] for cells in references)
    links = [link.get_attribute("href") for link in page.find_elements(By.CSS_SELECTOR, "#reference-table a")]
    assert "https://support.citrix.com/article/CTX113250" in links


def test_warning_counts_agree(page):
    shown = rows(page, "warning-table")
    nav = page.find_element(By.CSS_SELECTOR, "nav a[href='#warnings']").text
    assert nav == f"Warnings ({len(shown)})"
    assert page.find_element(By.ID, "warning-table-count").text == f"{len(shown)} of {len(shown)} warnings shown"
    counts = page.find_element(By.ID, "warning-counts").text
    assert counts.startswith(f"{len(shown)} warnings, each a rule and message shared by its hosts")
    host_total = int(re.search(r"\((\d+) warnings counted host by host\)", counts).group(1))
    assert host_total >= len(shown)
    card = page.find_element(By.XPATH, "//div[@class='card warn'][div[@class='label'][starts-with(., 'warnings')]]")
    assert card.text.splitlines() == [str(len(shown)), f"WARNINGS ({host_total} ON HOSTS)"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_heading_reached_from_the_navigation_is_not_under_it(page, width):
    at_width(page, width)
    for anchor in ("hosts", "flows", "warnings"):
        page.find_element(By.CSS_SELECTOR, f"nav a[href='#{anchor}']").click()
        top, nav = page.execute_script(
            "return [document.querySelector('#' + arguments[0] + ' h2').getBoundingClientRect().top,"
            " document.querySelector('nav').getBoundingClientRect().height];", anchor)
        assert page.execute_script("return window.scrollY") > 0
        assert top >= nav, (anchor, top, nav)
    screenshot(page, f"report-{width}-after-jump.png")


def test_printing_shows_every_host_s_rules(page):
    hosts = page.find_elements(By.CSS_SELECTOR, "#host-list details.host")
    assert hosts and not any(host.get_attribute("open") for host in hosts)
    visible = ("return Array.from(document.querySelectorAll('#host-list details.host'))"
               ".map(host => host.querySelectorAll('table')[1].checkVisibility());")
    assert not any(page.execute_script(visible))  # on screen the hosts start closed
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.execute_script("return window.matchMedia('print').matches")
        assert all(page.execute_script(visible))
        assert not page.find_element(By.TAG_NAME, "nav").is_displayed()
        # and without the script too: a closed host still shows its rules in print
        page.execute_script("document.querySelector('#host-list details.host').open = false;")
        assert all(page.execute_script(visible))
        page.execute_script("document.getElementById('hosts').scrollIntoView()")
        screenshot(page, "report-print-hosts.png")
        pdf = base64.b64decode(page.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
        assert pdf.startswith(b"%PDF")
        path = SCREENSHOTS / "report-print.pdf"
        path.write_bytes(pdf)
        print(f"print: {path}")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # back on screen, the hosts the printing opened are closed again
    assert not any(page.execute_script(visible))


@pytest.fixture(scope="module", name="network_report")
def fixture_network_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("network-report")
    result = run("ansible-playbook", "-i", str(ROOT / "examples/citrix_network/inventory.yml"), "vdi.firewall.plan",
                 "-e", f"vdi_firewall_output_dir={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "report.html"


def test_a_network_only_inventory_reports_its_devices(browser, network_report):
    page = browser
    page.set_window_size(800, 1000)
    page.get(network_report.as_uri())
    devices = page.find_elements(By.CSS_SELECTOR, "#device-list details.device")
    assert {device.get_attribute("id") for device in devices} == {"device-fw-ios", "device-fw-eos", "device-fw-junos",
                                                                  "device-fw-nxos"}
    assert page.find_element(By.CSS_SELECTOR, "nav a[href='#devices']").text == "Devices (4)"
    assert not page.find_elements(By.ID, "not-planned")  # a device is not a host left out
    devices[0].find_element(By.TAG_NAME, "summary").click()
    text = devices[0].text
    for zone in ("users", "dmz", "servers", "vdi", "admin"):
        assert zone in text
    assert "permit" in text and "deny" in text
    assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    page.execute_script("document.getElementById('devices').scrollIntoView()")
    screenshot(page, "report-network-only-800.png")
