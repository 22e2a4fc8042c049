"""Rewrite the catalog files under vars/catalog/ in the collection's canonical YAML layout.

Keeps each file's leading comment block, orders nothing (flows stay in document order), writes
short scalar lists in flow style and indents sequences as yamllint expects.
Usage: python scripts/format_catalog.py [FILE ...]   (default: the components.yml, features.yml,
flows.yml and supplements.yml of every product directory vars/catalog/<product>/; product.yml
keeps comments beside its entries, which this layout would drop, and is left to its authors)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


WIDTH = 110


class CatalogDumper(yaml.SafeDumper):
    """SafeDumper that indents block sequences and folds long text between words."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def write_folded(self, text):
        # PyYAML breaks a folded line only after it has passed the width, which leaves long URLs
        # behind other words; break before a word that would pass it, so a URL gets its own line.
        if "\n" in text or "  " in text or text != text.strip():
            super().write_folded(text)
            return
        self.write_indicator(">-", True)
        self.write_line_break()
        lines, current = [], ""
        for word in text.split(" "):
            if current and self.indent + len(current) + 1 + len(word) > WIDTH:
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(current)
        for line in lines:
            self.write_indent()
            self.stream.write(line)
            self.column += len(line)
        self.write_line_break()


def _represent_str(dumper, data):
    style = ">" if len(data) > WIDTH - 30 and " " in data and "\n" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_list(dumper, data):
    flow = all(isinstance(item, (int, str)) for item in data) and len(", ".join(map(str, data))) < 90
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper, data):
    flow = set(data) <= {"document", "section"} and len(str(data)) < 110
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


CatalogDumper.add_representer(str, _represent_str)
CatalogDumper.add_representer(list, _represent_list)
CatalogDumper.add_representer(dict, _represent_dict)


def format_file(path: Path) -> None:
    """Rewrite one catalog file."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if line.startswith("#") or line == "---":
            header.append(line)
        else:
            break
    if not header or header[0] != "---":
        header.insert(0, "---")
    # a fresh copy: YAML aliases in the source become plain repeated data, never anchors
    data = json.loads(json.dumps(yaml.safe_load(text)))
    body = yaml.dump(data, Dumper=CatalogDumper, sort_keys=False, allow_unicode=True, width=WIDTH)
    if yaml.safe_load(body) != data:
        raise SystemExit(f"{path}: formatting would change the data; file left as it was")
    path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")


def main() -> None:
    """Format the named files or the whole catalog."""
    catalog = ROOT / "vars" / "catalog"
    names = ("components.yml", "features.yml", "flows.yml", "supplements.yml")
    paths = [Path(arg) for arg in sys.argv[1:]] or [
        path for product in sorted(catalog.glob("*/product.yml")) for name in names
        if (path := product.parent / name).is_file()]
    for path in paths:
        format_file(path)


if __name__ == "__main__":
    main()
