# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change-request exports: one row per rule a firewall team enters, as CSV and XLSX (pure Python).

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

try:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill

    HAS_OPENPYXL = True
except ImportError:  # pragma: no cover - exercised only without openpyxl
    HAS_OPENPYXL = False

from ansible_collections.vdi.firewall.plugins.module_utils._netvalues import ports_text
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import csv_text

CHANGE_REQUEST_COLUMNS = ("change", "source", "source_hosts", "source_addresses", "destination", "destination_hosts",
                          "destination_addresses", "protocol", "ports", "flow_ids", "layer", "references",
                          "description", "supplement_reasons", "warnings",
                          # for the change board to fill in: justification is prefilled, status starts as proposed
                          "justification", "requester", "approver", "status", "expiry")
BOARD_STATUS = "proposed"
WARNING_COLUMNS = ("hosts", "code", "rule", "flows", "message")
JOURNEY_COLUMNS = ("journey", "title", "journey_status", "reason", "hop", "from", "to", "protocol", "ports",
                   "feature", "hop_status", "missing", "references")
_WIDTHS = {"change": 10, "source": 30, "source_hosts": 22, "source_addresses": 30, "destination": 30,
           "destination_hosts": 22, "destination_addresses": 30, "protocol": 9, "ports": 18, "flow_ids": 28,
           "references": 50, "description": 60, "warnings": 18, "layer": 20, "supplement_reasons": 60, "hosts": 28, "code": 18, "rule": 36, "flows": 28,
           "message": 100, "item": 28, "value": 80, "journey": 30, "title": 36, "journey_status": 14,
           "reason": 60, "hop": 5, "justification": 70, "requester": 18, "approver": 18, "status": 12,
           "expiry": 12, "from": 26, "to": 26, "feature": 22, "hop_status": 12, "missing": 70}
# Excel refuses cells longer than this; longer values are cut and point to the CSV.
CELL_LIMIT = 32767
_CUT_NOTE = " ... (cut: the whole value is in change_request.csv)"
# Fixed ZIP entry time: the workbook's bytes depend on its content only, so reruns change nothing.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# rows with a warning: light red, as the report marks them
_WARNING_FILL = "FDECEA"
_ID_DIGITS = 8


def merged_ports(texts) -> str:
    """Comma-separated port lists merged into the fewest ranges ("80,443", "440-444")."""
    return ports_text(text for text in texts if str(text).strip())


def _unique(items) -> list:
    seen: dict = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def change_request_rows(flow_rows: list[dict], names: dict[str, str], references: dict[str, str],
                        warning_codes: dict[str, list[str]] | None = None) -> list[dict]:
    """One row per (source addresses, destination addresses, protocol): ports merged, flows listed.

    flow_rows are the deployment's flows (planner.deployment_flows); names maps component ids to
    display names; references maps a flow id to its reference text; warning_codes maps a flow id to
    the codes of the plan warnings that name it. A row's layer says whether its flows are the
    documents' rows, supplements or both; supplement_reasons gives each supplement flow's reason.
    """
    grouped: dict[tuple[str, str, str], list[dict]] = {}
    for row in flow_rows:
        grouped.setdefault((row["source_addresses"], row["destination_addresses"], row["protocol"]), []).append(row)
    rows: list[dict[str, Any]] = []
    for (source_addresses, destination_addresses, protocol), members in grouped.items():
        sources = sorted({row["source"] for row in members})
        destinations = sorted({row["destination"] for row in members})
        flows = sorted({row["flow_id"] for row in members})
        rows.append({
            "source": "; ".join(names.get(item, item) for item in sources),
            "source_hosts": " ".join(_unique(host for row in members for host in row["source_hosts"].split())),
            "source_addresses": source_addresses,
            "destination": "; ".join(names.get(item, item) for item in destinations),
            "destination_hosts": " ".join(_unique(host for row in members for host in row["destination_hosts"].split())),
            "destination_addresses": destination_addresses,
            "protocol": protocol,
            "ports": merged_ports(row["ports"] for row in members) if protocol in ("tcp", "udp") else "",
            "flow_ids": " ".join(flows),
            "layer": "+".join(layer for layer in ("document", "supplement")
                              if any(row.get("layer", "document") == layer for row in members)),
            "supplement_reasons": "; ".join(_unique(f"{row['flow_id']}: {row['reason']}" for row in members
                                                    if row.get("layer") == "supplement")),
            "references": "; ".join(_unique(references.get(flow, "") for flow in flows)),
            "description": "; ".join(_unique(row["description"] for row in members)),
            "warnings": " ".join(sorted({code for flow in flows for code in (warning_codes or {}).get(flow, ())})),
            "_sort": (sources, destinations, protocol, source_addresses, destination_addresses),
        })
    rows.sort(key=lambda row: row["_sort"])
    identities = [(row["_sort"][0], row["_sort"][1], row["protocol"], row["ports"]) for row in rows]
    addresses = [(row["source_addresses"], row["destination_addresses"]) for row in rows]
    for row, change in zip(rows, change_ids(identities, addresses)):
        row.pop("_sort")
        row["change"] = change
        see = f" (see {row['references']})" if row["references"] else ""
        row["justification"] = f"{row['description']}{see}"
        row.update(requester="", approver="", status=BOARD_STATUS, expiry="")
    return [{column: row[column] for column in CHANGE_REQUEST_COLUMNS} for row in rows]


def _digest(identity, digits: int) -> str:
    return "CR-" + hashlib.sha256(repr(identity).encode()).hexdigest()[:digits].upper()


def change_ids(identities: list[tuple], addresses: list[tuple] | None = None) -> list[str]:
    """A change id per row: CR- and 8 hex digits of a hash of the row's identity (its source and destination
    components, protocol and ports), so that a row keeps its id however many other rows come and go.

    Rows of the same identity (the same components between other addresses) add their addresses to it; two
    identities that still give the same digits (a collision) both get longer ids: an id never names two rows."""
    addresses = addresses or [()] * len(identities)
    keys = [identity + (tuple(where) if identities.count(identity) > 1 else ())
            for identity, where in zip(identities, addresses)]
    ids = [_digest(key, _ID_DIGITS) for key in keys]
    digits = _ID_DIGITS
    while len(set(ids)) < len(ids):
        digits += 4
        counts = {change: ids.count(change) for change in ids}
        ids = [_digest(key, digits) if counts[change] > 1 else change for change, key in zip(ids, keys)]
    return ids


def change_request_csv(rows: list[dict]) -> str:
    """The change-request rows as CSV text (see outputs.csv_text)."""
    return csv_text(CHANGE_REQUEST_COLUMNS, rows)


def cell_text(value) -> str:
    """A value as Excel accepts it: no control characters, at most CELL_LIMIT characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - len(_CUT_NOTE)] + _CUT_NOTE


def _sheet(workbook, title: str, columns, rows, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append([cell_text(row.get(column, "")) for column in columns])
    # every cell is text: a value that starts with '=' is data, never a formula
    for line in sheet.iter_rows():
        for item in line:
            item.data_type = "s"
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="2C3E50")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = _WIDTHS.get(column, 20)
    sheet.freeze_panes = "B2" if columns and columns[0] == "change" else "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    if "warnings" in columns:
        fill = PatternFill("solid", fgColor=_WARNING_FILL)
        for number, row in enumerate(rows, start=2):
            if row.get("warnings"):
                for cell in sheet[number]:
                    cell.fill = fill
    # printing: landscape, as wide as the page (any paper size), the header row on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    return sheet


def journey_rows(journeys: list[dict]) -> list[dict]:
    """One row per hop of every journey (journeys.check_journeys), for the change request's 'Journeys' sheet."""
    rows = []
    for journey in journeys:
        for hop in journey["hops"]:
            missing = "; ".join(
                f"{item['end']} {item.get('host') or item.get('device')}: {hop['protocol']} "
                f"{','.join(item['ports']) or 'any port'} not open for {' '.join(item['addresses'])}"
                for item in hop["missing"])
            rows.append({
                "journey": journey["id"], "title": journey["title"],
                "journey_status": journey["status"].replace("_", " "), "reason": journey["reason"] or "",
                "hop": str(hop["hop"]), "from": hop["from"], "to": hop["to"], "protocol": hop["protocol"],
                "ports": (" or " if hop["match"] == "any" else ",").join(hop["ports"]), "feature": hop["feature"] or "",
                "hop_status": hop["status"].replace("_", " "), "missing": missing,
                "references": " ; ".join(f"{ref['title']} <{ref['url']}>" for ref in hop["references"]),
            })
    return rows


def change_request_xlsx(rows: list[dict], warnings: list[dict], about: list[tuple[str, str]],
                        journeys: list[dict] | None = None) -> bytes:
    """The change request as an XLSX workbook: 'Change request', 'Warnings', 'Journeys' (journey_rows, when
    given) and 'About' sheets."""
    if not HAS_OPENPYXL:
        raise VdiFirewallError("the Python library 'openpyxl' is required on the controller to write "
                               "change_request.xlsx (pip install openpyxl)")
    workbook = Workbook()
    _sheet(workbook, "Change request", CHANGE_REQUEST_COLUMNS, rows, first=True)
    _sheet(workbook, "Warnings", WARNING_COLUMNS, warnings)
    if journeys is not None:
        _sheet(workbook, "Journeys", JOURNEY_COLUMNS, journeys)
    _sheet(workbook, "About", ("item", "value"), [{"item": item, "value": value} for item, value in about])
    workbook.properties.creator = "vdi.firewall"
    workbook.properties.title = "Firewall change request"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _reproducible_zip(buffer.getvalue())


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with fixed entry times and no creation/modification dates."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return output.getvalue()
