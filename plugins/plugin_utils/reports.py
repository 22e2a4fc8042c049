# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the plan's files (per-host JSON, flows.csv) into an output directory, only when they differ."""

from __future__ import annotations

import csv
import io
import json
import os

from ansible_collections.vdi.firewall.plugins.plugin_utils.errors import VdiFirewallError

FLOW_COLUMNS = ("flow_id", "source", "source_hosts", "source_addresses", "destination", "destination_hosts",
                "destination_addresses", "protocol", "ports", "feature", "description", "reference")


def flows_csv(rows: list[dict]) -> str:
    """The deployment's flows as CSV text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FLOW_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def plan_files(plans: dict[str, dict], flow_rows: list[dict]) -> dict[str, str]:
    """Relative path -> content of every file the plan writes."""
    files = {f"hosts/{host}.json": json.dumps(plan, indent=2, sort_keys=True) + "\n" for host, plan in plans.items()}
    files["flows.csv"] = flows_csv(flow_rows)
    return files


def write_files(output_dir: str, files: dict[str, str], check_mode: bool = False, purge_dirs=("hosts",)) -> dict:
    """Write files whose content differs; remove stale *.json under purge_dirs. Returns what changed."""
    written, removed = [], []
    for relative, content in sorted(files.items()):
        path = os.path.join(output_dir, relative)
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.read() == content:
                    continue
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise VdiFirewallError(f"cannot read {path}: {exc}") from exc
        written.append(relative)
        if not check_mode:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                temporary = f"{path}.tmp"
                with open(temporary, "w", encoding="utf-8") as handle:
                    handle.write(content)
                os.replace(temporary, path)
            except OSError as exc:
                raise VdiFirewallError(f"cannot write {path}: {exc}") from exc
    for directory in purge_dirs:
        folder = os.path.join(output_dir, directory)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            relative = f"{directory}/{name}"
            if name.endswith(".json") and relative not in files:
                removed.append(relative)
                if not check_mode:
                    os.remove(os.path.join(folder, name))
    return {"written": written, "removed": removed}
