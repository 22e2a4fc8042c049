"""Keep vars/catalog/flow_ids.lock.yml, the list of every flow id the catalog has published, up to date.

Flow ids are stable: reports, change requests and users' own exceptions name them. The lock lists
every id; tests/unit/plugins/plugin_utils/test_flow_lock.py fails when a catalog id is missing from
it, or when an id of the lock has left the catalog without being recorded as retired.

Usage:
  python scripts/update-flow-lock.py                 add the catalog's new ids to the lock
  python scripts/update-flow-lock.py --retire ID --note WHY [--renamed-to NEW]
                                                     record that ID left the catalog (and its successor)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "vars" / "catalog"
LOCK = CATALOG / "flow_ids.lock.yml"
HEADER = """---
# Every flow id the catalog has published, sorted. Ids are stable: a flow keeps its id for ever, and
# an id that leaves the catalog is recorded under 'retired' with a note (and the id that replaces it).
# Add new ids with: python scripts/update-flow-lock.py
# Retire one with:  python scripts/update-flow-lock.py --retire ID --note WHY [--renamed-to NEW]
"""


def catalog_ids(catalog: Path = CATALOG) -> list[str]:
    """The flow ids of every product directory's flows.yml and supplements.yml."""
    ids = []
    for product in sorted(catalog.glob("*/product.yml")):
        for name in ("flows.yml", "supplements.yml"):
            path = product.parent / name
            if path.is_file():
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                ids.extend(flow["id"] for flow in data.get("flows") or ())
    return ids


def read_lock(path: Path = LOCK) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    data = data or {}
    return {"ids": list(data.get("ids") or ()), "retired": dict(data.get("retired") or {})}


def write_lock(lock: dict, path: Path = LOCK) -> None:
    lines = ["ids:", *(f"  - {item}" for item in sorted(set(lock["ids"])))]
    retired = dict(sorted(lock["retired"].items()))
    lines.append("retired:" + ("" if retired else " {}"))
    for item, entry in retired.items():
        lines.append(f"  {item}:")
        dumped = yaml.safe_dump(entry, sort_keys=False, width=100, allow_unicode=True)
        lines.extend(f"    {line}" for line in dumped.splitlines())
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retire", metavar="ID", help="a flow id that left the catalog")
    parser.add_argument("--note", help="why it left (required with --retire)")
    parser.add_argument("--renamed-to", metavar="NEW", help="the id that replaces it")
    args = parser.parse_args(argv)
    lock = read_lock()
    current = catalog_ids()
    if args.retire:
        if not args.note or not args.note.strip():
            parser.error("--retire needs a --note saying why the id left the catalog")
        if args.retire in current:
            parser.error(f"{args.retire} is still in the catalog")
        if args.renamed_to and args.renamed_to not in current:
            parser.error(f"--renamed-to {args.renamed_to} is not a flow id of the catalog")
        lock["ids"] = [item for item in lock["ids"] if item != args.retire]
        lock["retired"][args.retire] = {"note": args.note.strip(), "renamed_to": args.renamed_to}
    reused = sorted(set(current) & set(lock["retired"]))
    if reused:
        print(f"retired ids are back in the catalog (ids are never reused): {', '.join(reused)}", file=sys.stderr)
        return 1
    added = sorted(set(current) - set(lock["ids"]))
    lock["ids"] = sorted(set(lock["ids"]) | set(current))
    write_lock(lock)
    gone = sorted(set(lock["ids"]) - set(current))
    print(f"{LOCK.relative_to(ROOT)}: {len(lock['ids'])} ids, {len(added)} added, {len(lock['retired'])} retired")
    if gone:
        print("not in the catalog any more, retire them with --retire ID --note WHY: " + ", ".join(gone), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
