# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment's components and flows as a Graphviz graph, drawn by `dot -Tsvg` on the controller.

Internal to vdi.firewall, not a public interface: it may change in any release.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError
from ansible_collections.vdi.firewall.plugins.plugin_utils._lint import short_name

DOT_TIMEOUT = 120
_LABEL_LIMIT = 40
_WRAP = 26
# Tier -> (fill, border, legend text). Colours only: clusters would drag the layout apart.
TIER_STYLES = {
    "outside": ("#eeeeee", "#8a8a8a", "outside the inventory (vdi_firewall_endpoints)"),
    "edge": ("#fde3c4", "#c77c1e", "edge: user-facing"),
    "internal": ("#d9e8f6", "#2e6da4", "internal"),
}
WARNING_COLOUR = "#c0392b"
_EDGE_COLOUR = "#5d6d7e"


def _quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int = _WRAP) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _listing(items, limit: int) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" +{len(items) - limit} more" if len(items) > limit else "")


def diagram_dot(nodes: list[dict], edges: list[dict]) -> str:
    """DOT source: one node per component, one edge per (source, destination) pair of components.

    nodes: {id, name, tier ('outside'|'edge'|'internal'), hosts, addresses};
    edges: {source, destination, label, tooltip, warning (bool)}.
    """
    lines = [
        "digraph deployment {",
        # top to bottom: the page is wider than high but the flows run through few tiers with long labels, which
        # left to right gives a drawing several screens wide that is unreadable once fitted to the width
        '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.15, ranksep=0.45, splines=true, bgcolor="white", '
        'pad=0.2, outputorder=edgesfirst];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, margin="0.14,0.07", penwidth=1.2];',
        f'  edge [color="{_EDGE_COLOUR}", fontname="Helvetica", fontsize=10, fontcolor="#2c3e50", arrowsize=0.7];',
    ]
    for node in sorted(nodes, key=lambda item: item["id"]):
        fill, border, _legend = TIER_STYLES.get(node["tier"], TIER_STYLES["internal"])
        detail = _listing(node["hosts"], 3) if node["hosts"] else _listing(node["addresses"], 2)
        label = _wrap(short_name(node["name"])) + (f"\n{detail}" if detail else "")
        tooltip = f"{node['name']} ({node['id']})" + (f": {', '.join(node['addresses'])}" if node["addresses"] else "")
        lines.append(f'  {_quote(node["id"])} [label={_quote(label)}, tooltip={_quote(tooltip)}, '
                     f'fillcolor="{fill}", color="{border}"];')
    for edge in sorted(edges, key=lambda item: (item["source"], item["destination"])):
        label = edge["label"] if len(edge["label"]) <= _LABEL_LIMIT else edge["label"][:_LABEL_LIMIT - 1] + "…"
        attributes = [f"label={_quote(label)}", f"tooltip={_quote(edge['tooltip'])}"]
        if edge.get("warning"):
            attributes += [f'color="{WARNING_COLOUR}"', f'fontcolor="{WARNING_COLOUR}"', "penwidth=1.6"]
        lines.append(f"  {_quote(edge['source'])} -> {_quote(edge['destination'])} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def find_dot(dot: str = "dot") -> str | None:
    """The path of Graphviz's dot, or None when it is not installed."""
    return shutil.which(dot)


def render_svg(source: str, dot: str = "dot", timeout: int = DOT_TIMEOUT) -> str:
    """Run `dot -Tsvg` on DOT source; return the <svg> element alone (no XML prolog, no comments)."""
    executable = find_dot(dot)
    if executable is None:
        raise VdiFirewallError(
            f"Graphviz '{dot}' was not found on the controller (install the package 'graphviz', "
            "e.g. apt-get install graphviz or dnf install graphviz)"
        )
    try:
        result = subprocess.run([executable, "-Tsvg"], input=source, capture_output=True, text=True,
                                timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VdiFirewallError(f"Graphviz '{executable}' could not draw the diagram: {exc}") from exc
    if result.returncode != 0:
        raise VdiFirewallError(f"Graphviz '{executable}' failed (exit {result.returncode}): {result.stderr.strip()[:500]}")
    svg = result.stdout
    start = svg.find("<svg")
    if start < 0:
        raise VdiFirewallError(f"Graphviz '{executable}' returned no SVG")
    svg = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL)
    return "\n".join(line for line in svg.splitlines() if line.strip()) + "\n"
