# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the catalog (as returned by the catalog lookup) as a CSV or Markdown flow matrix.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import csv
import io

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import reference_label
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._features import feature_text

MATRIX_COLUMNS = (
    "product", "section", "source", "destination", "protocol", "ports", "description", "feature",
    "reference", "flow_id", "source_id", "destination_id", "service", "symbolic_ports",
    "to_addresses", "from_addresses", "note", "layer", "reason",
)


def _check_catalog(catalog) -> None:
    if not isinstance(catalog, dict) or not isinstance(catalog.get("flows"), list):
        raise VdiFirewallError("expected the catalog returned by lookup('vdi.firewall.catalog')")


def _component_name(catalog: dict, component_id: str) -> str:
    return catalog["components"].get(component_id, {}).get("name", component_id)


def matrix_rows(catalog: dict) -> list[dict]:
    """One row per flow and protocol, in catalog order."""
    _check_catalog(catalog)
    products = dict(catalog.get("shared", {}), **catalog.get("products", {}))
    rows = []
    for flow in catalog["flows"]:
        symbolic = [str(spec) for spec in flow.get("port_specs", []) if isinstance(spec, str) and not spec[:1].isdigit()]
        for protocol in flow["protocols"]:
            rows.append({
                "product": products.get(flow["product"], {}).get("title", flow["product"]),
                "section": flow["section"],
                "source": _component_name(catalog, flow["from"]),
                "destination": _component_name(catalog, flow["to"]),
                "protocol": protocol,
                "ports": ",".join(flow["ports"]) if protocol in ("tcp", "udp") else "",
                "description": flow["description"],
                "feature": feature_text(flow.get("feature")),
                "reference": "; ".join(reference_label(ref) for ref in flow["references"]),
                "flow_id": flow["id"],
                "source_id": flow["from"],
                "destination_id": flow["to"],
                "service": flow.get("service") or "",
                "symbolic_ports": ",".join(symbolic),
                "to_addresses": " ".join(flow.get("to_addresses") or []),
                "from_addresses": " ".join(flow.get("from_addresses") or []),
                "note": flow.get("note") or "",
                "layer": flow.get("layer") or "document",
                "reason": flow.get("reason") or "",
            })
    return rows


def matrix_csv(catalog: dict) -> str:
    """The flow matrix as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MATRIX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(matrix_rows(catalog))
    return buffer.getvalue()


def _cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def matrix_markdown(catalog: dict) -> str:
    """The flow matrix as Markdown, one table per product section."""
    rows = matrix_rows(catalog)
    lines = ["# Firewall flow matrix", ""]
    lines.append(f"{len(catalog['flows'])} flows, {len(rows)} rows (one per protocol).")
    current_product = current_section = None
    header = "| Flow | Source | Destination | Protocol | Ports | Description | Feature | Reference |"
    for row in rows:
        if row["product"] != current_product:
            current_product, current_section = row["product"], None
            lines += ["", f"## {current_product}"]
        if row["section"] != current_section:
            current_section = row["section"]
            lines += ["", f"### {current_section}", "", header, "|" + "---|" * 8]
        ports = row["ports"] or "-"
        if row["symbolic_ports"]:
            ports += f" ({row['symbolic_ports']})"
        description = row["description"]
        if row["layer"] == "supplement":
            description += f" — supplement: {row['reason']}"
        if row["to_addresses"]:
            description += f" — to {row['to_addresses']}"
        lines.append("| " + " | ".join(_cell(value) for value in (
            row["flow_id"], row["source"], row["destination"], row["protocol"], ports, description,
            row["feature"], row["reference"],
        )) + " |")
    return "\n".join(lines) + "\n"
