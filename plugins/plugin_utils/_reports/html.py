# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan as one self-contained HTML page (inline CSS, JavaScript and SVG; nothing loaded from outside).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape

from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.diagram import TIER_STYLES, WARNING_COLOUR

WARNING_TITLES = {
    "open_to_any": "Open to any address",
    "wide_source": "Very wide source",
    "plaintext": "Plaintext with a secure alternative",
    "dynamic_rpc_range": "Whole dynamic RPC range",
}

_CSS = """
:root { --ink: #1f2d3a; --muted: #5d6d7e; --line: #d5dde5; --band: #f5f7f9; --accent: #1f6fb2; --warn: #b03a2e;
        --warn-bg: #fdecea; --ok: #1e8449; --note-bg: #fff8e1; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif;
       color: var(--ink); background: #fff; }
header.top { background: #1f2d3a; color: #fff; padding: 18px 28px 14px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header.top p { margin: 0; color: #c9d4df; font-size: 13px; }
header.top code { color: #fff; }
header.top p + p { margin-top: 4px; }
nav { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line); padding: 8px 28px;
      display: flex; flex-wrap: wrap; gap: 2px 18px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 500; white-space: nowrap; }
/* a heading reached through the navigation stays below it (--nav-height is the navigation's height, set by the script) */
section[id], details[id], h2, h3 { scroll-margin-top: calc(var(--nav-height, 3.5em) + 8px); }
nav a:hover { text-decoration: underline; }
main { padding: 8px 28px 40px; max-width: 1600px; }
section { margin-top: 26px; }
h2 { font-size: 18px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; background: var(--band); }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.warn { background: var(--warn-bg); border-color: #f1b7b0; }
.card.warn .value { color: var(--warn); }
/* a table wider than the page scrolls inside its own box: the page itself never gets wider than the window */
.table-wrap { max-width: 100%; overflow-x: auto; margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
td { overflow-wrap: anywhere; }
a { color: var(--accent); }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: #eef2f6; font-weight: 600; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \\2195"; color: #a0acb8; font-size: 11px; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; color: var(--accent); }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; color: var(--accent); }
tbody tr:nth-child(even) { background: #fafbfc; }
tr.has-warning td:first-child { box-shadow: inset 3px 0 0 var(--warn); }
td.num, td.ports { white-space: nowrap; font-variant-numeric: tabular-nums; }
.small { color: var(--muted); font-size: 12px; }
.addr { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.tag { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px; line-height: 18px;
       background: #e3eaf1; color: #34495e; margin: 1px 2px 1px 0; white-space: nowrap; }
.tag.warn { background: var(--warn-bg); color: var(--warn); }
.tag.edge { background: #fde8cf; color: #8a4b08; }
.tag.internal { background: #dce9f7; color: #1b4f72; }
.tag.outside { background: #ececec; color: #555; }
.tag.ok { background: #d5f0de; color: var(--ok); }
.tag.supplement { background: #ece2f6; color: #5b2c83; }
.tag.document { background: #e3eaf1; color: #34495e; }
tr.missing td { background: var(--warn-bg); }
details.journey { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 0 12px; }
details.journey > summary { cursor: pointer; padding: 9px 0; font-weight: 600; }
details.journey > summary .small { font-weight: 400; }
details.journey.broken { border-color: #f1b7b0; }
.notice { border: 1px solid #f0c36d; background: var(--note-bg); padding: 10px 14px; border-radius: 6px; margin: 8px 0; }
.notice.error { border-color: #f1b7b0; background: var(--warn-bg); }
.controls { display: flex; align-items: center; gap: 12px; margin: 6px 0; flex-wrap: wrap; }
.controls input[type=search] { width: 420px; max-width: 100%; padding: 6px 10px; border: 1px solid #b8c4d0; border-radius: 6px;
                               font-size: 14px; }
.controls button { padding: 5px 12px; border: 1px solid #b8c4d0; background: #fff; border-radius: 6px; cursor: pointer; }
.diagram { border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow: auto; background: #fff; }
.diagram svg { display: block; }
.diagram.fit svg { width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; margin: 4px 0 8px; font-size: 12px; color: var(--muted); }
.legend .chip { display: inline-flex; align-items: center; gap: 6px; }
.legend .swatch { display: inline-block; width: 18px; height: 12px; border: 1.5px solid; border-radius: 3px; }
.legend .line { display: inline-block; width: 22px; height: 3px; }
details.host { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 0 12px; }
details.host > summary { cursor: pointer; padding: 9px 0; font-weight: 600; }
details.host > summary .small { font-weight: 400; }
details.host[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: 6px; }
ul.plain { margin: 4px 0 10px; padding-left: 18px; }
footer { color: var(--muted); font-size: 12px; padding: 20px 28px; border-top: 1px solid var(--line); }
@media (max-width: 900px) {
  header.top, nav, main, footer { padding-left: 12px; padding-right: 12px; }
  th, td.ports, td.num { white-space: normal; }
  .controls input[type=search] { width: 100%; }
}
@media print {
  nav, .controls { display: none; }
  /* every host's rules print: the script opens every <details> before printing, and this shows their
     content even where it does not run */
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; }
  details.host, details.journey { break-inside: auto; }
  details > summary, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap, .diagram { overflow: visible; }
  .diagram { border: 0; padding: 0; }
  .diagram svg { width: 100% !important; height: auto !important; }
  header.top, .tag, th, .card { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  a[href^="http"]::after { content: " <" attr(href) ">"; color: var(--muted); font-size: 11px; overflow-wrap: anywhere; }
}
"""

_JS = """
(function () {
  "use strict";
  function text(cell) {
    return (cell.getAttribute("data-sort") || cell.textContent || "").trim();
  }
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, index) {
      header.tabIndex = 0;
      header.setAttribute("aria-sort", "none");
      header.title = "Sort by " + header.textContent;
      function sort() {
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var order = collator.compare(text(a.cells[index]), text(b.cells[index]));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        Array.prototype.forEach.call(headers, function (other) { other.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      }
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (input) {
    var target = document.getElementById(input.getAttribute("data-filter"));
    var counter = document.getElementById(input.getAttribute("data-count"));
    var items = Array.prototype.slice.call(target.querySelectorAll(".filter-item"));
    var texts = items.map(function (item) { return item.textContent.toLowerCase(); });
    function apply() {
      var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item, position) {
        var match = terms.every(function (term) { return texts[position].indexOf(term) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (counter) {
        counter.textContent = shown + " of " + items.length + " " + (input.getAttribute("data-noun") || "") + " shown";
      }
    }
    input.addEventListener("input", apply);
    apply();
  });
  var toggle = document.getElementById("diagram-size");
  var diagram = document.getElementById("diagram");
  if (toggle && diagram) {
    toggle.addEventListener("click", function () {
      var fit = diagram.classList.toggle("fit");
      toggle.textContent = fit ? "Actual size" : "Fit to width";
      toggle.setAttribute("aria-pressed", fit ? "true" : "false");
      diagram.scrollLeft = 0;
    });
  }
  var nav = document.querySelector("nav");
  function navHeight() {
    if (nav) { document.documentElement.style.setProperty("--nav-height", nav.offsetHeight + "px"); }
  }
  navHeight();
  window.addEventListener("resize", navHeight);
  // printing shows every host's rules and every journey: open what is closed, close it again afterwards
  var opened = [];
  function openAll() {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (item) {
      item.open = true;
      opened.push(item);
    });
  }
  function restore() {
    opened.forEach(function (item) { item.open = false; });
    opened = [];
  }
  window.addEventListener("beforeprint", openAll);
  window.addEventListener("afterprint", restore);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    var change = function (event) { if (event.matches) { openAll(); } else { restore(); } };
    if (print.addEventListener) { print.addEventListener("change", change); } else if (print.addListener) { print.addListener(change); }
  }
}());
"""


def _e(value) -> str:
    return escape(str(value), quote=True)


def _tags(items, css: str = "") -> str:
    return "".join(f'<span class="tag {css}">{_e(item)}</span>' for item in items)


def _addresses(items) -> str:
    return "<br>".join(f'<span class="addr">{_e(item)}</span>' for item in items)


def _card(value, label: str, warn: bool = False) -> str:
    return (f'<div class="card{" warn" if warn else ""}"><div class="value">{_e(value)}</div>'
            f'<div class="label">{_e(label)}</div></div>')


def _filter_box(target: str, placeholder: str, noun: str) -> str:
    """A filter box over the .filter-item elements of target; its counter says what it counts (noun)."""
    return (f'<div class="controls"><input type="search" id="{target}-filter" data-filter="{target}" '
            f'data-count="{target}-count" data-noun="{_e(noun)}" placeholder="{_e(placeholder)}" '
            f'aria-label="{_e(placeholder)}">'
            f'<span class="small" id="{target}-count"></span></div>')


def _summary(model: dict) -> str:
    summary = model["summary"]
    counts = summary.get("warning_counts", {})
    cards = "".join((
        _card(summary["hosts"], "hosts planned"),
        _card(summary["rules"], "host rules"),
        _card(len(model["flows"]), "flows between peers"),
        _card(len(model["change_request"]), "change-request rows"),
        _card(len(model["warnings"]), f"warnings ({summary['warnings']} on hosts)", warn=bool(model["warnings"])),
        _card(summary["unresolved"], "unresolved flows", warn=bool(summary["unresolved"])),
        _card(summary.get("supplement_flows", 0), "supplement flows"),
        *((_card(len(model["devices"]), "zone devices"),) if model.get("devices") else ()),
        *((_card(model["journey_summary"]["journeys_broken"], "journeys broken",
                 warn=bool(model["journey_summary"]["journeys_broken"])),) if model.get("journeys_checked") else ()),
    ))
    settings = model["settings"]
    rows = [
        ("Written", f"{model.get('generated') or 'unknown'} by vdi.firewall {model.get('version') or 'unknown'}"),
        ("Products", ", ".join(model["products"]) or "none"),
        ("Plan fingerprint", model["fingerprint"]),
        ("Secure only (vdi_firewall_secure_only)",
         "on: " + f"{summary.get('omitted_plaintext', 0)} plaintext port(s) left out where a secure alternative is documented"
         if settings["secure_only"] else "off: plaintext ports with a documented secure alternative are kept and flagged"),
        ("Supplements (vdi_firewall_supplements)",
         f"on: {summary.get('supplement_flows', 0)} flow(s) of the supplement layer planned, marked supplement with their "
         "reason and public reference" if settings.get("supplements", True)
         else "off: the documents planned literally, no supplement flow"),
        *((item["label"], item["value"]) for item in model.get("parameters", ())),
        ("Warnings", f"{len(model['warnings'])} (grouped over the hosts with the same rule), {summary['warnings']} on "
                     "hosts" + (": " + ", ".join(f"{WARNING_TITLES.get(code, code)}: {count}"
                                                 for code, count in counts.items()) if counts else "")),
        ("Exports", ", ".join(model["exports"])),
    ]
    settings_html = "".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in rows)
    symbolic = "".join(
        f"<tr><td><code>{_e(item['name'])}</code></td><td class=\"ports\">{_e(item['value'])}</td>"
        f"<td>{'default' if item['value'] == item['default'] else 'set by vdi_firewall_symbolic_ports (default ' + _e(item['default']) + ')'}</td>"
        f"<td>{_e(item['description'])}</td></tr>"
        for item in settings["symbolic_ports"])
    symbolic_html = (f"<h3>Symbolic ports in these flows</h3><table><thead><tr><th>Name</th><th>Ports</th><th>Source</th>"
                     f"<th>Meaning</th></tr></thead><tbody>{symbolic}</tbody></table>") if symbolic else ""
    components = "".join(
        f"<tr class=\"filter-item\"><td>{_e(item['name'])}<div class=\"small\"><code>{_e(item['id'])}</code></div></td>"
        f"<td>{_tags([item['tier']], item['tier'])}</td><td>{_e(', '.join(item['hosts'])) or '<span class=small>endpoint</span>'}</td>"
        f"<td>{_addresses(item['addresses'])}</td></tr>"
        for item in model["components"])
    return (
        f'<section id="summary"><h2>Deployment summary</h2><div class="cards">{cards}</div>'
        f'<h3 id="parameters">Plan parameters</h3><table id="parameter-table">{settings_html}</table>{symbolic_html}'
        f'<h3>Components</h3><table class="sortable" id="components"><thead><tr><th>Component</th><th>Tier</th>'
        f"<th>Hosts</th><th>Addresses</th></tr></thead><tbody>{components}</tbody></table></section>"
    )


def _warnings(model: dict) -> str:
    items = model["warnings"]
    if not items:
        return '<section id="warnings"><h2>Least-privilege warnings</h2><p>No warnings.</p></section>'
    hosts = model["summary"]["warnings"]
    rows = "".join(
        f"<tr class=\"filter-item\"><td>{_tags([WARNING_TITLES.get(item['code'], item['code'])], 'warn')}</td>"
        f"<td><code>{_e(item['rule'])}</code></td><td>{_e(item['message'])}</td>"
        f"<td>{_e(', '.join(item['hosts']))}</td><td class=\"small\">{_e(' '.join(item['flows']))}</td></tr>"
        for item in items)
    return (
        '<section id="warnings"><h2>Least-privilege warnings</h2>'
        '<p class="small">Found while planning: inbound rules open to any address or very wide CIDRs on internal '
        "components, plaintext ports where the document offers a secure alternative between the same components, "
        "and rules opening a whole dynamic RPC range.</p>"
        f'<p id="warning-counts"><strong>{len(items)} warnings</strong>, each a rule and message shared by its hosts '
        f"({hosts} warnings counted host by host).</p>"
        + _filter_box("warning-table", "Filter warnings (host, rule, code ...)", "warnings")
        + '<table class="sortable" id="warning-table"><thead><tr><th>Warning</th><th>Rule</th><th>Detail</th>'
        f"<th>Hosts</th><th>Flows</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


JOURNEY_TITLES = {"complete": "complete", "broken": "broken", "not_applicable": "not applicable"}
HOP_TITLES = {"open": "open", "missing": "missing", "off": "feature off", "unchecked": "no host end",
              "not_applicable": "not applicable"}
_STATUS_CSS = {"complete": "ok", "open": "ok", "broken": "warn", "missing": "warn"}


def _few(names, limit: int = 6) -> str:
    names = list(names)
    return (", ".join(names[:limit]) + (f" +{len(names) - limit} more" if len(names) > limit else "")) or "-"


def _hop_rows(journey: dict) -> str:
    rows = []
    for hop in journey["hops"]:
        missing = "".join(
            f"<div>{_e(item['end'])} <strong>{_e(item.get('host') or item.get('device'))}</strong>: "
            f"{_e(hop['protocol'])} {_e(', '.join(item['ports']) or 'any port')} not open for "
            f"<span class=\"addr\">{_e(' '.join(item['addresses']))}</span></div>" for item in hop["missing"][:6])
        if len(hop["missing"]) > 6:
            missing += f"<div class=\"small\">and {len(hop['missing']) - 6} more ends (see hosts/*.json)</div>"
        references = "<br>".join(f'<a href="{_e(ref["url"])}">{_e(ref["title"])}</a>' for ref in hop["references"])
        ports = (" or " if hop["match"] == "any" else ", ").join(hop["ports"]) or "-"
        feature = f'<div class="small">feature <code>{_e(hop["feature"])}</code></div>' if hop["feature"] else ""
        marked = ' class="missing"' if hop["status"] == "missing" else ""
        rows.append(
            f"<tr{marked}><td class=\"num\">{_e(hop['hop'])}</td>"
            f"<td>{_e(hop['from_name'])}<div class=\"small\">{_e(_few(hop['sources']))}</div></td>"
            f"<td>{_e(hop['to_name'])}<div class=\"small\">{_e(_few(hop['destinations']))}</div></td>"
            f"<td>{_e(hop['protocol'])}</td><td class=\"ports\">{_e(ports)}</td>"
            f"<td>{_tags([HOP_TITLES.get(hop['status'], hop['status'])], _STATUS_CSS.get(hop['status'], ''))}{feature}</td>"
            f"<td>{_e(hop['description'])}{missing}</td><td class=\"small\">{references}</td></tr>")
    return ('<table><thead><tr><th>Hop</th><th>From</th><th>To</th><th>Protocol</th><th>Ports</th><th>Status</th>'
            f"<th>What</th><th>Reference</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _journeys(model: dict) -> str:
    if not model.get("journeys_checked"):
        return ""
    summary = model["journey_summary"]
    parts = []
    for journey in model["journeys"]:
        status = journey["status"]
        reason = f'<p class="small">{_e(journey["reason"])}</p>' if journey["reason"] else ""
        parts.append(
            f'<details class="journey filter-item {_e(status)}" id="journey-{_e(journey["id"])}"'
            f"{' open' if status == 'broken' else ''}><summary>"
            f"{_tags([JOURNEY_TITLES.get(status, status)], _STATUS_CSS.get(status, 'outside'))} {_e(journey['title'])} "
            f'<span class="small">— <code>{_e(journey["id"])}</code> — {len(journey["hops"])} hops</span></summary>'
            f'<p>{_e(journey["description"])}</p>{reason}{_hop_rows(journey)}</details>')
    counts = (f"{summary['journeys_complete']} complete, {summary['journeys_broken']} broken, "
              f"{summary['journeys_not_applicable']} not applicable")
    return (
        '<section id="journeys"><h2>Journeys</h2>'
        '<p class="small">The paths users and administrators depend on, written from each product\'s architecture '
        "(vars/journeys/). Every hop must be open at both ends: outbound at the source host, inbound at the "
        "destination host. A broken journey names its first missing hop; a journey whose components the deployment "
        f"does not have, or whose feature is off, is not applicable. {_e(counts)}.</p>"
        + _filter_box("journey-list", "Filter journeys (id, component, host ...)", "journeys")
        + f'<div id="journey-list">{"".join(parts)}</div></section>'
    )


def _svg_in_pixels(svg: str) -> str:
    """Graphviz sizes the SVG in points; the same numbers in CSS pixels read well on screen (75 %)."""
    head_end = svg.find(">") + 1
    head = re.sub(r'(width|height)="([0-9.]+)pt"', r'\1="\2px"', svg[:head_end])
    return head + svg[head_end:]


def _legend() -> str:
    chips = "".join(
        f'<span class="chip"><span class="swatch" style="background:{fill};border-color:{border}"></span>{_e(text)}</span>'
        for fill, border, text in TIER_STYLES.values())
    return (f'<div class="legend">{chips}<span class="chip"><span class="line" style="background:{WARNING_COLOUR}"></span>'
            "flow with a warning</span></div>")


def _diagram(model: dict) -> str:
    diagram = model["diagram"]
    if diagram.get("svg"):
        body = (
            '<div class="controls"><button type="button" id="diagram-size">Fit to width</button>'
            '<span class="small">Boxes are components (with their hosts or endpoint addresses); arrows are flows '
            "from source to destination, labelled with protocols and ports. Drawn by Graphviz; hover for details.</span></div>"
            + _legend()
            + f'<div class="diagram" id="diagram">{_svg_in_pixels(diagram["svg"])}</div>'
        )
    else:
        body = (f'<div class="notice error" id="diagram-missing" role="alert"><strong>Diagram not drawn.</strong> '
                f"{_e(diagram.get('notice') or 'no diagram')}. The rest of this report is complete.</div>")
    return f'<section id="diagram-section"><h2>Components and flows</h2>{body}</section>'


def _flows(model: dict) -> str:
    rows = []
    for row in model["flows"]:
        warned = bool(row["warnings"])
        rows.append(
            f"<tr class=\"filter-item{' has-warning' if warned else ''}\">"
            f"<td title=\"{_e(row['source_title'])}\">{_e(row['source_name'])}"
            f"<div class=\"small\">{_e(row['source_detail'])}</div></td>"
            f"<td title=\"{_e(row['destination_title'])}\">{_e(row['destination_name'])}"
            f"<div class=\"small\">{_e(row['destination_detail'])}</div></td>"
            f"<td>{_e(row['protocol'])}</td><td class=\"ports\">{_e(row['ports'].replace(',', ', '))}</td>"
            f"<td>{_e(row['description'])}{_tags([WARNING_TITLES.get(code, code) for code in row['warnings']], 'warn')}"
            f"{('<div class=small>feature ' + _e(row['feature']) + '</div>') if row['feature'] else ''}</td>"
            f"<td>{_layer_cell(row)}</td>"
            f"<td title=\"{_e(row['reference_files'])}\">{_e(row['reference'])}</td>"
            f"<td class=\"small\"><code>{_e(row['flow_id'])}</code></td></tr>"
        )
    return (
        '<section id="flows"><h2>Flow matrix</h2>'
        '<p class="small">Every flow between real peers of this deployment. Source says whether it is a row of the '
        "vendor document or a supplement (a flow a working deployment needs that the document leaves out or gets "
        "wrong, with its reason and public reference). Type to filter (all words must match: component, host, "
        "address, port, description, document, supplement ...); click a column header to sort.</p>"
        + _filter_box("flow-table", "Filter flows, e.g. storefront 443", "flows")
        + '<table class="sortable" id="flow-table"><thead><tr><th>Source</th><th>Destination</th><th>Protocol</th>'
        "<th>Ports</th><th>Why</th><th>Source</th><th>Reference</th><th>Flow</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _layer_cell(row: dict) -> str:
    """The Source cell of a flow: document, or supplement with its reason."""
    if row.get("layer") != "supplement":
        return _tags(["document"], "document")
    return _tags(["supplement"], "supplement") + f'<div class="small">{_e(row.get("reason", ""))}</div>'


def _rule_flows(rule: dict) -> str:
    """A rule's flow ids, the supplement ones tagged."""
    supplements = set(rule.get("supplement_flows", ()))
    return " ".join(_e(flow) + (" " + _tags(["supplement"], "supplement") if flow in supplements else "")
                    for flow in rule["flows"])


def _rules_table(rules: list[dict], warned_rules: set) -> str:
    warned = ' class="has-warning"'
    rows = "".join(
        f"<tr{warned if rule['name'] in warned_rules else ''}><td><code>{_e(rule['name'])}</code></td>"
        f"<td>{'in' if rule['direction'] == 'in' else 'out'}</td><td>{_e(rule['protocol'])}</td>"
        f"<td class=\"ports\">{_e(', '.join(rule['local_ports'] or rule['remote_ports']) or 'all')}</td>"
        f"<td>{_addresses(rule['remote_addresses'])}</td><td>{_e(rule['description'])}</td>"
        f"<td class=\"small\">{_rule_flows(rule)}</td></tr>"
        for rule in rules)
    return ('<table class="sortable"><thead><tr><th>Rule</th><th>Dir.</th><th>Protocol</th><th>Ports</th>'
            f"<th>Remote addresses</th><th>Peers</th><th>Flows</th></tr></thead><tbody>{rows}</tbody></table>")


def _hosts(model: dict) -> str:
    parts = []
    for group in model["host_groups"]:
        names = [host["name"] for host in group["hosts"]]
        warned_rules = {warning["rule"] for warning in group["warnings"]}
        title = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        counts = f"{len(group['rules'])} rules" + (f", {len(group['warnings'])} warnings" if group["warnings"] else "")
        hosts = "".join(f"<tr><td>{_e(host['name'])}</td><td>{_addresses(host['addresses'])}</td></tr>" for host in group["hosts"])
        body = [
            f"<p>{_tags(group['component_names'])}</p>",
            f"<table><thead><tr><th>Host</th><th>Addresses</th></tr></thead><tbody>{hosts}</tbody></table>",
            _rules_table(group["rules"], warned_rules),
        ]
        if group["warnings"]:
            body.append("<h3>Warnings</h3><ul class=\"plain\">" + "".join(
                f"<li>{_tags([WARNING_TITLES.get(item['code'], item['code'])], 'warn')} {_e(item['message'])}</li>"
                for item in group["warnings"]) + "</ul>")
        if group["omitted"]:
            body.append("<h3>Plaintext left out (secure only)</h3><ul class=\"plain\">" + "".join(
                f"<li><code>{_e(item['flow'])}</code> {_e(item['protocol'])}/{_e(item['port'])}: {_e(item['reason'])}</li>"
                for item in group["omitted"]) + "</ul>")
        if group["unresolved"]:
            body.append("<h3>Flows without a peer</h3><ul class=\"plain\">" + "".join(
                f"<li><code>{_e(item['flow'])}</code> ({_e(item['direction'])}, peer <code>{_e(item['peer'])}</code>): "
                f"{_e(item['description'])}</li>" for item in group["unresolved"]) + "</ul>")
        parts.append(
            f'<details class="host filter-item" id="host-{_e(names[0])}"><summary>{_e(title)} '
            f'<span class="small">— {_e(", ".join(group["component_names"]))} — {_e(counts)}</span>'
            f"<span hidden>{_e(' '.join(names))}</span></summary>{''.join(body)}</details>"
        )
    return (
        '<section id="hosts"><h2>Hosts and their rules</h2>'
        '<p class="small">Hosts with identical rules are shown together. Open a host to see its components, '
        "addresses, rules, warnings and flows without a peer.</p>"
        + _filter_box("host-list", "Filter hosts by name or component", "host groups")
        + f'<div id="host-list">{"".join(parts)}</div></section>'
    )


_DENY = ' class="missing"'


def _devices(model: dict) -> str:
    devices = model.get("devices") or []
    if not devices:
        return ""
    parts = []
    for device in devices:
        zones = "".join(f"<tr><td>{_e(zone['name'])}</td><td>{_e(zone['interface'])}</td>"
                        f"<td>{_addresses(zone['cidrs'])}</td></tr>" for zone in device["zones"])
        entries = "".join(
            f"<tr{_DENY if entry['action'] == 'deny' else ''}><td><code>{_e(entry['acl'])}</code></td>"
            f"<td class=\"num\">{_e(entry['sequence'])}</td><td>{_e(entry['action'])}</td><td>{_e(entry['protocol'])}</td>"
            f"<td class=\"addr\">{_e(entry['source'])}</td><td class=\"addr\">{_e(entry['destination'])}</td>"
            f"<td class=\"ports\">{_e(entry['destination_port'])}</td>"
            f"<td>{_e(entry['source_zone'])} → {_e(entry['destination_zone'])}</td>"
            f"<td>{_e(entry['description'])}<div class=\"small\">{_e(entry['flows'])}</div></td></tr>"
            for entry in device["entries"])
        items = "".join(f"<li>{_tags(['warning'], 'warn')} {_e(item)}</li>" for item in device["warnings"])
        warnings = f'<ul class="plain">{items}</ul>' if device["warnings"] else ""
        counts = f"{len(device['zones'])} zones, {len(device['entries'])} ACL entries ({device['permits']} permit)"
        parts.append(
            f'<details class="host device filter-item" id="device-{_e(device["name"])}"><summary>{_e(device["name"])} '
            f'<span class="small">— {_e(device["platform"])} {_e(device["network_os"])} — {_e(counts)}</span></summary>'
            f"{warnings}<table><thead><tr><th>Zone</th><th>Interface</th><th>Addresses</th></tr></thead>"
            f"<tbody>{zones}</tbody></table>"
            '<table class="sortable"><thead><tr><th>ACL</th><th>Seq.</th><th>Action</th><th>Protocol</th><th>Source</th>'
            "<th>Destination</th><th>Port</th><th>Zones</th><th>Why</th></tr></thead>"
            f"<tbody>{entries}</tbody></table></details>")
    return ('<section id="devices"><h2>Zone devices</h2><p class="small">The firewalls and routers between the '
            "inventory's zones, with the ACL entries vdi.firewall.device_acls makes for them from the same flows "
            "(management access of the controller, the flows between the zones, the final deny).</p>"
            + _filter_box("device-list", "Filter devices by name, zone or address", "devices")
            + f'<div id="device-list">{"".join(parts)}</div></section>')


def _unresolved(model: dict) -> str:
    items = model["unresolved"]
    if not items:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(item['flow'])}</code></td><td>{_e(item['direction'])}</td><td><code>{_e(item['peer'])}</code></td>"
        f"<td>{_e(item['description'])}</td><td>{_e(', '.join(item['hosts']))}</td></tr>" for item in items)
    return ('<section id="unresolved"><h2>Flows without a peer</h2><p class="small">The catalog asks for these peers '
            "but the inventory has no host and vdi_firewall_endpoints no address for them: no rule was planned.</p>"
            '<table class="sortable"><thead><tr><th>Flow</th><th>Dir.</th><th>Peer</th><th>Why</th><th>Hosts</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></section>")


def _not_planned(model: dict) -> str:
    items = model.get("not_planned") or []
    if not items:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(item['host'])}</code></td><td>{_e(', '.join(item['groups']) or '(none)')}</td>"
        f"<td>{_e(', '.join(typo['group'] + ' looks like ' + typo['nearest'] for typo in item['typos']))}</td></tr>"
        for item in items)
    return ('<section id="not-planned"><h2>Hosts not planned</h2><p class="small">These inventory hosts are in no VDI '
            "group and have no vdi_firewall_components, so no rule was planned for them. A group that looks like a "
            "typo of a known one is named.</p>"
            '<table class="sortable"><thead><tr><th>Host</th><th>Groups</th><th>Looks like a typo</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></section>")


def _link(url: str, text: str = "") -> str:
    return f'<a href="{_e(url)}" rel="noreferrer">{_e(text or url)}</a>' if url else ""


def _documents(model: dict) -> str:
    documents = "".join(
        f"<tr><td>{_e(item['title'])}</td><td>{_e(item['language'])}</td><td class=\"small\">{_link(item.get('url', ''))}"
        f"</td><td class=\"small\"><code>{_e(item['file'])}</code></td><td class=\"num\">{_e(item['flows'])}</td></tr>"
        for item in model["documents"])
    references = "".join(
        f"<tr><td>{_e(item.get('id', ''))}</td><td>{_e(item['title'])}</td><td class=\"small\">{_link(item.get('url', ''))}"
        f"</td><td class=\"num\">{_e(item['flows'])}</td></tr>"
        for item in model.get("public_references", ()))
    references_html = (
        '<h3 id="public-references">Public references of the supplements</h3>'
        '<table id="reference-table"><thead><tr><th>Id</th><th>Title</th><th>Address</th><th>Flows</th></tr></thead>'
        f"<tbody>{references}</tbody></table>") if references else ""
    return ('<section id="documents"><h2>Source documents</h2><p class="small">The vendor documents the planned flows '
            "come from (the catalog's file of each in small print), and the public references the supplement flows "
            "cite.</p>"
            '<table id="document-table"><thead><tr><th>Title</th><th>Language</th><th>Address</th><th>Catalog file</th>'
            f"<th>Flows</th></tr></thead><tbody>{documents}</tbody></table>{references_html}</section>")


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _wrap_tables(html: str) -> str:
    """Every table in a box of its own that scrolls sideways when the table is wider than the window."""
    return html.replace("<table", '<div class="table-wrap"><table').replace("</table>", "</table></div>")


def render_html(model: dict) -> str:
    """The whole report page."""
    title = f"Firewall plan: {', '.join(model['products']) or 'deployment'}"
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; script-src '{_hash(_JS)}'; img-src data:; "
              "base-uri 'none'; form-action 'none'")
    nav = "".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in (
        ("summary", "Summary"),
        *((("journeys", f"Journeys ({model['journey_summary']['journeys_broken']} broken)"),)
          if model.get("journeys_checked") else ()),
        ("warnings", f"Warnings ({len(model['warnings'])})"),
        ("diagram-section", "Diagram"), ("flows", "Flow matrix"), ("hosts", "Hosts"),
        *((("devices", f"Devices ({len(model['devices'])})"),) if model.get("devices") else ()),
        *((("unresolved", "Unresolved"),) if model["unresolved"] else ()),
        *((("not-planned", f"Not planned ({len(model['not_planned'])})"),) if model.get("not_planned") else ()),
        ("documents", "Documents")))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<header class="top"><h1>{_e(title)}</h1><p>Change-request report written by <code>vdi.firewall.plan</code> '
        f"from the vendors' port tables and the inventory · plan fingerprint <code>{_e(model['fingerprint'])}</code></p>"
        f'<p id="written">Written <time>{_e(model.get("generated") or "unknown")}</time> by vdi.firewall '
        f'<span id="version">{_e(model.get("version") or "unknown")}</span> · '
        '<a href="#parameters">plan parameters</a></p></header>'
        f"<nav>{nav}</nav><main>"
        + _wrap_tables(_summary(model) + _journeys(model) + _warnings(model) + _diagram(model) + _flows(model)
                       + _hosts(model) + _devices(model) + _unresolved(model) + _not_planned(model) + _documents(model))
        + "</main><footer>Self-contained page: no network access is needed to read, filter or print it. "
        "The plan fingerprint is the SHA-256 of the planned rules (first 16 hex digits): the same plan always "
        f"gives the same fingerprint.</footer><script>{_JS}</script></body></html>\n"
    )
