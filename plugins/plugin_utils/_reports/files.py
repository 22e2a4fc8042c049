# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the plan's files (per-host JSON, flows.csv, report.html, change requests) only when they differ.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import yaml

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import reference_label
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.change_request import (
    change_request_csv,
    change_request_rows,
    change_request_xlsx,
    journey_rows,
    merged_ports,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.diagram import diagram_dot, render_svg
from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._reports.html import render_html
from ansible_collections.vdi.firewall.plugins.plugin_utils._journeys import journeys_by_host, summarise_journeys
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import short_name, tier_of
from ansible_collections.vdi.firewall.plugins.plugin_utils._outputs import (
    JsonCompact,
    JsonText,
    csv_text,
    file_name,
    stale_files,
    write_outputs,
)
from ansible_collections.vdi.firewall.plugins.plugin_utils._planner import summarise

# Files of the reports; one that a run does not produce (openpyxl missing) is removed, never left stale.
REPORT_FILES = ("report.html", "change_request.csv", "change_request.xlsx")

FLOW_COLUMNS = ("flow_id", "source", "source_hosts", "source_addresses", "destination", "destination_hosts",
                "destination_addresses", "protocol", "ports", "feature", "description", "reference", "layer", "reason")


def flows_csv(rows: list[dict]) -> str:
    """The deployment's flows as CSV text (see outputs.csv_text)."""
    return csv_text(FLOW_COLUMNS, rows)


def plan_files(plans: dict[str, dict], flow_rows: list[dict], journeys: list[dict] | None = None,
               texts: dict[str, str] | None = None) -> dict[str, str]:
    """Relative path -> content of every file the plan writes (host names encoded: see outputs.file_name;
    each file keeps the real name under "host"). With the journeys' check results, each host's file lists
    under "journeys" the journeys it takes part in (journeys.journeys_by_host). texts: host_texts of these
    plans (or of more, a limited run's whole deployment), when already made."""
    texts = texts if texts is not None else host_texts(plans, journeys)
    files = {path: texts[path] for path in map(host_file, plans)}
    files["flows.csv"] = flows_csv(flow_rows)
    return files


def host_texts(plans: dict[str, dict], journeys: list[dict] | None = None) -> dict[str, str]:
    """hosts/<name>.json -> its text, for every plan: ``json.dumps(plan, indent=2, sort_keys=True)``, with
    the host's journeys when the journeys were checked (see plan_files)."""
    by_host = journeys_by_host(journeys) if journeys is not None else None
    text = JsonText()
    return {host_file(host): text(plan if by_host is None else dict(plan, journeys=by_host.get(host, [])))
            for host, plan in plans.items()}


def host_file(host: str) -> str:
    """The relative path of a host's plan."""
    return f"hosts/{file_name(host)}.json"


def stale_host_files(output_dir, keep) -> list[str]:
    """hosts/*.json of hosts not in keep."""
    return stale_files(output_dir, "hosts", (".json",), keep)


def plan_fingerprint(texts: dict[str, str]) -> str:
    """SHA-256 of the host files (host_texts: their texts in the byte order of their paths, one after the
    other), first 16 hex digits: the same plan always gives the same fingerprint, and the files in hosts/
    give it back (``cat`` of hosts/*.json in C-locale order, through ``sha256sum``)."""
    digest = hashlib.sha256()
    for path in sorted(texts):
        digest.update(texts[path].encode("utf-8"))
    return digest.hexdigest()[:16]


def _reference_texts(topology, flow_ids) -> dict[str, tuple[str, str, str]]:
    """Flow id -> (references with document titles and files, with titles only, the documents' files)."""
    documents = topology.catalog.documents
    flows = topology.flows_by_id()
    result = {}
    for flow_id in flow_ids:
        references = flows[flow_id].references
        text = "; ".join(reference_label(ref, documents) for ref in references)
        short = "; ".join(reference_label(ref, documents, files=False) for ref in references)
        result[flow_id] = (text, short, " ".join(ref["document"] for ref in references if "document" in ref))
    return result


def _listing(items, limit: int) -> str:
    items = list(items)
    return ", ".join(items[:limit]) + (f" +{len(items) - limit} more" if len(items) > limit else "")


def collection_version() -> str:
    """The collection's version: galaxy.yml at the collection's root (a checkout), else MANIFEST.json (installed)."""
    root = Path(__file__).resolve().parents[3]
    try:
        return str(yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))["version"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        pass
    try:
        return str(json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def written_at(now: float | None = None) -> str:
    """When the plan was written, in UTC to the minute (SOURCE_DATE_EPOCH, when set, stands for now)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if now is None:
        now = float(epoch) if epoch and epoch.isdigit() else time.time()
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now))


_WRITTEN = re.compile(r'<p id="written">Written <time>([^<]*)</time>')


def _previous_written(output_dir: str | None, page: str, written: str) -> str | None:
    """The time of the report.html in output_dir when that page is this one (written at written) but for the
    time, so that a rerun of the same plan leaves its files as they were (changed=0)."""
    if not output_dir:
        return None
    try:
        with open(os.path.join(output_dir, "report.html"), encoding="utf-8") as handle:
            old = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    match = _WRITTEN.search(old)
    return match.group(1) if match and old.replace(match.group(1), written) == page else None


def _parameters(topology, journeys) -> list[dict]:
    """The inventory settings the plan was made with, as the report's summary lists them."""
    endpoints = sorted(component for component, addresses in topology.component_endpoints.items() if addresses)
    symbolic = ", ".join(f"{name}={value}" for name, value in sorted((topology.symbolic_ports or {}).items()))
    tiers = ", ".join(f"{component}: {tier}" for component, tier in sorted((topology.tiers or {}).items()))
    return [
        {"label": "Journeys (vdi_firewall_journeys)",
         "value": "checked" if journeys is not None else "not checked"},
        {"label": "Tiers (vdi_firewall_tiers)", "value": tiers or "defaults"},
        {"label": "Symbolic ports (vdi_firewall_symbolic_ports)", "value": symbolic or "defaults"},
        {"label": "Endpoints (vdi_firewall_endpoints)",
         "value": (f"{len(endpoints)} component(s) with addresses: " + ", ".join(endpoints)) if endpoints else "none"},
        {"label": "Inventory hosts",
         "value": f"{len(topology.host_components)} with VDI components, {len(getattr(topology, 'not_planned', ()))} "
                  "in no VDI group"},
    ]


def _sources(topology, flow_ids) -> tuple[list[dict], list[dict]]:
    """The vendor documents and the public references of the flows, each with the number of flows citing it."""
    catalog = topology.catalog
    flows = topology.flows_by_id()
    documents: dict[str, set] = {}
    public: dict[tuple, dict] = {}
    for flow_id in flow_ids:
        for ref in flows[flow_id].references:
            if "document" in ref:
                documents.setdefault(ref["document"], set()).add(flow_id)
            else:
                key = (ref.get("id") or "", ref.get("title") or "", ref.get("url") or "")
                item = public.setdefault(key, {"id": key[0], "title": key[1] or key[0] or key[2], "url": key[2],
                                               "flows": set()})
                item["flows"].add(flow_id)
    document_list = [{"file": name, "title": catalog.documents[name].get("title") or name,
                      "language": catalog.documents[name].get("language", ""),
                      "url": catalog.documents[name].get("url") or "", "flows": len(documents[name])}
                     for name in sorted(documents) if name in catalog.documents]
    references = [dict(item, flows=len(item["flows"])) for _key, item in sorted(public.items())]
    return document_list, references


def _devices(devices: dict[str, dict] | None) -> list[dict]:
    """The zone devices (devices.device_results) as the report shows them: zones and ACL entries."""
    result = []
    for name, device in sorted((devices or {}).items()):
        entries = [{key: str(entry.get(key, "")) for key in (
            "acl", "afi", "sequence", "action", "protocol", "source", "destination", "destination_port", "kind",
            "source_zone", "destination_zone", "flows", "description")} for entry in device.get("entries", ())]
        result.append({
            "name": name, "platform": device.get("platform", ""), "network_os": device.get("network_os", ""),
            "zones": [{"name": zone["name"], "cidrs": list(zone["cidrs"]), "interface": zone.get("interface") or ""}
                      for zone in device.get("zones", ())],
            "entries": entries,
            "permits": sum(1 for entry in entries if entry["action"] == "permit"),
            "warnings": [str(item.get("message", item)) if isinstance(item, dict) else str(item)
                         for item in device.get("warnings", ())],
        })
    return result


def _grouped_warnings(plans: dict[str, dict]) -> tuple[dict[str, set], list[dict], list[dict]]:
    """The warning codes of each flow, and the plans' warnings and unresolved peers grouped over hosts."""
    warning_codes: dict[str, set] = {}
    grouped_warnings: dict[tuple, dict] = {}
    grouped_unresolved: dict[tuple, dict] = {}
    for host, plan in plans.items():
        for warning in plan.get("warnings", ()):
            for flow in warning["flows"]:
                warning_codes.setdefault(flow, set()).add(warning["code"])
            key = (warning["code"], warning["rule"], warning["message"])
            item = grouped_warnings.setdefault(key, dict(warning, hosts=[], flows=[]))
            item["hosts"].append(host)
            item["flows"] = sorted(set(item["flows"]) | set(warning["flows"]))
        for entry in plan["unresolved"]:
            key = (entry["flow"], entry["direction"], entry["peer"])
            grouped_unresolved.setdefault(key, dict(entry, hosts=[]))["hosts"].append(host)
    return (warning_codes,
            sorted(grouped_warnings.values(), key=lambda item: (item["code"], item["rule"], item["message"])),
            sorted(grouped_unresolved.values(), key=lambda item: (item["flow"], item["direction"])))


def _components(topology, plans: dict[str, dict], flow_rows: list[dict], names: dict[str, str]) -> list[dict]:
    """The components the flows and the plans use, by name: their tier, hosts and addresses."""
    used_components = {row["source"] for row in flow_rows} | {row["destination"] for row in flow_rows}
    used_components |= {component for plan in plans.values() for component in plan["components"]}
    components = []
    for component in sorted(used_components, key=lambda item: (names[item], item)):
        hosts = list(topology.component_hosts.get(component, ()))
        components.append({
            "id": component,
            "name": names[component],
            "tier": tier_of(component, topology.component_tiers) if hosts else "outside",
            "hosts": hosts,
            "addresses": list(topology.peer_cidrs(component)),
        })
    return components


def _flows(topology, flow_rows: list[dict], names: dict[str, str], references: dict[str, tuple[str, str, str]],
           warning_codes: dict[str, set]) -> list[dict]:
    """The flow rows with their ends' names and details, their reference and their warnings' codes."""

    def detail(component: str) -> str:
        hosts = topology.component_hosts.get(component, ())
        addresses = topology.peer_cidrs(component)
        return (_listing(hosts, 4) + " · " if hosts else "") + _listing(addresses, 4)

    flows = []
    for row in flow_rows:
        _text, short, files = references[row["flow_id"]]
        flows.append(dict(row, source_name=short_name(names[row["source"]]), source_title=names[row["source"]],
                          destination_name=short_name(names[row["destination"]]),
                          destination_title=names[row["destination"]],
                          source_detail=detail(row["source"]), destination_detail=detail(row["destination"]),
                          reference=short, reference_files=files,
                          warnings=sorted(warning_codes.get(row["flow_id"], ()))))
    return flows


def _diagram_edges(flow_rows: list[dict], names: dict[str, str], warning_codes: dict[str, set]) -> list[dict]:
    """One edge of the diagram per source and destination, labelled with its protocols and ports."""
    edges: dict[tuple[str, str], dict] = {}
    for row in flow_rows:
        edge = edges.setdefault((row["source"], row["destination"]), {"protocols": {}, "flows": set(), "warning": False})
        edge["protocols"].setdefault(row["protocol"], []).append(row["ports"])
        edge["flows"].add(row["flow_id"])
        edge["warning"] = edge["warning"] or bool(warning_codes.get(row["flow_id"]))
    diagram_edges = []
    for (source, destination), edge in edges.items():
        label = " · ".join(f"{protocol} {merged_ports(ports)}".strip() for protocol, ports in sorted(edge["protocols"].items()))
        diagram_edges.append({"source": source, "destination": destination, "label": label, "warning": edge["warning"],
                              "tooltip": f"{names[source]} -> {names[destination]}: {label}\nflows {' '.join(sorted(edge['flows']))}"})
    return diagram_edges


# what hosts of one group share
_GROUPED = ("components", "rules", "unresolved", "warnings", "omitted_plaintext")


def _host_groups(plans: dict[str, dict], names: dict[str, str], compact: JsonCompact) -> list[dict]:
    """The hosts grouped by the plan they share (components, rules, unresolved peers, warnings)."""
    host_groups: dict[str, dict] = {}
    # hosts whose parts are the same objects (the planner shares them) have the same content: encoded once
    known: dict[tuple, str] = {}
    for host, plan in plans.items():
        parts = [plan.get(key, []) for key in _GROUPED]
        identity = tuple(tuple(map(id, part)) for part in parts)
        text = known.get(identity)
        if text is None:
            text = known[identity] = compact(dict(zip(_GROUPED, parts)))
        group = host_groups.setdefault(text, {
            "hosts": [], "components": plan["components"],
            "component_names": [names[component] for component in plan["components"]],
            "rules": plan["rules"], "unresolved": plan["unresolved"], "warnings": plan.get("warnings", []),
            "omitted": plan.get("omitted_plaintext", []),
        })
        group["hosts"].append({"name": host, "addresses": plan["addresses"]})
    for group in host_groups.values():
        group["hosts"].sort(key=lambda item: item["name"])
    return sorted(host_groups.values(), key=lambda item: (item["component_names"], item["hosts"][0]["name"]))


def _settings(topology, flow_ids: list[str]) -> dict:
    """The settings the plan was made with, and the symbolic ports its flows use."""
    catalog = topology.catalog
    symbolic = sorted({name for flow_id in flow_ids for name in topology.flows_by_id()[flow_id].symbolic_ports})
    return {
        "secure_only": topology.secure_only,
        "supplements": getattr(topology, "supplements", True),
        "tiers": dict(topology.tiers),
        "symbolic_ports": [{
            "name": name,
            "value": str(topology.symbolic_ports.get(name, catalog.symbolic_ports[name]["default"])),
            "default": str(catalog.symbolic_ports[name]["default"]),
            "description": catalog.symbolic_ports[name].get("description", ""),
        } for name in symbolic],
    }


def report_model(topology, plans: dict[str, dict], flow_rows: list[dict], journeys: list[dict] | None = None,
                 generated: str | None = None, devices: dict[str, dict] | None = None,
                 texts: dict[str, str] | None = None) -> dict:
    """Everything the HTML report and the change-request exports show, as plain data.

    generated: when the plan is written (written_at), shown on the page and in the workbook; devices: the
    zone devices' ACLs (devices.device_results), shown with their zones and entries; texts: the plans' host
    files (host_texts), when already made, for the fingerprint."""
    catalog = topology.catalog
    names = {component: topology.component_name(component) for component in catalog.components}
    flow_ids = sorted({row["flow_id"] for row in flow_rows})
    references = _reference_texts(topology, flow_ids)
    warning_codes, warnings, unresolved = _grouped_warnings(plans)
    components = _components(topology, plans, flow_rows, names)
    compact = JsonCompact()  # the hosts share their rules: each is encoded once
    host_groups = _host_groups(plans, names, compact)
    documents, public_references = _sources(topology, flow_ids)
    rows = change_request_rows(flow_rows, names, {flow: text for flow, (text, _short, _files) in references.items()},
                               {flow: sorted(codes) for flow, codes in warning_codes.items()})
    return {
        "generated": generated or written_at(),
        "version": collection_version(),
        "parameters": _parameters(topology, journeys),
        "products": [catalog.products[product]["title"] for product in topology.products if product in catalog.products],
        "fingerprint": plan_fingerprint(texts if texts is not None else host_texts(plans, journeys)),
        "summary": summarise(plans),
        "settings": _settings(topology, flow_ids),
        "components": components,
        "flows": _flows(topology, flow_rows, names, references, warning_codes),
        "warnings": warnings,
        "unresolved": unresolved,
        # inventory hosts in no VDI group, with the groups that look like typos of known ones
        # (a zone device is in no VDI group by design: it is listed with the devices)
        "not_planned": [item for item in getattr(topology, "not_planned", ()) if item["host"] not in (devices or {})],
        "devices": _devices(devices),
        "host_groups": host_groups,
        "documents": documents,
        "public_references": public_references,
        "change_request": rows,
        "journeys": [dict(item, hops=[dict(hop, from_name=names[hop["from"]], to_name=names[hop["to"]])
                                      for hop in item["hops"]]) for item in journeys or ()],
        "journeys_checked": journeys is not None,
        "journey_summary": summarise_journeys(journeys or []),
        "diagram": {"nodes": components, "edges": _diagram_edges(flow_rows, names, warning_codes), "svg": None,
                    "notice": None},
        "exports": [],
    }


def report_files(topology, plans: dict[str, dict], flow_rows: list[dict], dot: str = "dot",
                 journeys: list[dict] | None = None, output_dir: str | None = None,
                 generated: str | None = None, devices: dict[str, dict] | None = None,
                 texts: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """report.html, change_request.csv and change_request.xlsx; plus notices for what could not be made.

    A missing Graphviz leaves the diagram out (the page says so); a missing openpyxl leaves the XLSX out.
    journeys (journeys.check_journeys) adds the Journeys section of the page and sheet of the workbook.
    generated is the time the files say they were written (default now); when output_dir holds the same
    report but for that time, its time is kept and a rerun changes nothing. devices (devices.device_results)
    adds the zone devices with their zones and ACL entries. texts: the plans' host files (host_texts), when
    already made.
    """
    notices = []
    model = report_model(topology, plans, flow_rows, journeys, generated, devices, texts)
    try:
        model["diagram"]["svg"] = render_svg(diagram_dot(model["diagram"]["nodes"], model["diagram"]["edges"]), dot)
    except VdiFirewallError as exc:
        model["diagram"]["notice"] = str(exc)
        notices.append(f"report.html has no diagram: {exc}")
    files, written = _render(model)
    previous = None if generated else _previous_written(output_dir, files["report.html"], model["generated"])
    if previous and previous != model["generated"]:
        model["generated"] = previous
        files, written = _render(model)
    return files, notices + written


def _render(model: dict) -> tuple[dict, list[str]]:
    """The report files of a model; the notices of what could not be written."""
    notices = []
    files: dict[str, str | bytes] = {"change_request.csv": change_request_csv(model["change_request"])}
    warnings = [dict(item, hosts=" ".join(item["hosts"]), flows=" ".join(item["flows"])) for item in model["warnings"]]
    about = [("products", ", ".join(model["products"])), ("plan fingerprint", model["fingerprint"]),
             ("written", f"{model['generated']} by vdi.firewall {model['version']}"),
             ("hosts planned", str(model["summary"]["hosts"])),
             *((("zone devices", ", ".join(item["name"] for item in model["devices"])),) if model["devices"] else ()),
             ("change-request rows", str(len(model["change_request"]))),
             ("warnings", f"{len(model['warnings'])} (grouped over hosts), {model['summary']['warnings']} on hosts"),
             ("secure only", "on" if model["settings"]["secure_only"] else "off"),
             ("supplements", f"on: {model['summary'].get('supplement_flows', 0)} supplement flow(s) planned, marked in "
                             "the layer column" if model["settings"]["supplements"] else "off: the documents planned literally"),
             *((item["label"], item["value"]) for item in model["parameters"]),
             *((("journeys", _journey_counts(model["journey_summary"])),) if model["journeys_checked"] else ()),
             ("written by", "vdi.firewall.plan (see report.html for the flows, the diagram and each host's rules)")]
    try:
        files["change_request.xlsx"] = change_request_xlsx(
            model["change_request"], warnings, about,
            journey_rows(model["journeys"]) if model["journeys_checked"] else None)
    except VdiFirewallError as exc:
        notices.append(f"change_request.xlsx not written: {exc}")
    model["exports"] = ["hosts/*.json", "flows.csv", *sorted(files)]
    files["report.html"] = render_html(model)
    return files, notices


def _journey_counts(summary: dict) -> str:
    text = (f"{summary['journeys_complete']} complete, {summary['journeys_broken']} broken, "
            f"{summary['journeys_not_applicable']} not applicable")
    return text + (": " + "; ".join(summary["broken_journeys"]) if summary["broken_journeys"] else "")


def write_files(output_dir: str, files: dict, check_mode: bool = False, remove=()) -> dict:
    """Write the files whose content differs and remove the stale ones, all or nothing (outputs.write_outputs)."""
    return write_outputs(output_dir, files, remove=remove, check_mode=check_mode)
