# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flow ids are stable: vars/catalog/flow_ids.lock.yml lists every id the catalog has published."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog

ROOT = Path(__file__).resolve().parents[4]
LOCK = ROOT / "vars" / "catalog" / "flow_ids.lock.yml"
UPDATE = "python scripts/update-flow-lock.py"


def lock_problems(catalog_ids, lock: dict) -> list[str]:
    """What is wrong between the catalog's flow ids and the lock (empty: nothing)."""
    ids, retired = set(lock.get("ids") or ()), dict(lock.get("retired") or {})
    current = set(catalog_ids)
    problems = []
    new = sorted(current - ids)
    if new:
        problems.append(f"flow ids missing from {LOCK.name}: {', '.join(new)}; run `{UPDATE}` to add them")
    gone = sorted(ids - current)
    if gone:
        problems.append(f"flow ids of {LOCK.name} are not in the catalog: {', '.join(gone)}; ids are stable - "
                        f"put the flow back, or record why it left with `{UPDATE} --retire ID --note WHY "
                        "[--renamed-to NEW]`")
    for item, entry in sorted(retired.items()):
        if item in current:
            problems.append(f"retired flow id {item} is in the catalog again: ids are never reused")
        if not isinstance(entry, dict) or not str(entry.get("note") or "").strip():
            problems.append(f"retired flow id {item} has no note saying why it left")
        elif entry.get("renamed_to") and entry["renamed_to"] not in current:
            problems.append(f"retired flow id {item} is renamed to {entry['renamed_to']}, which is not in the catalog")
    return problems


def test_the_lock_lists_every_flow_id_and_records_every_retired_one():
    lock = yaml.safe_load(LOCK.read_text(encoding="utf-8"))
    assert set(lock) == {"ids", "retired"}
    assert lock["ids"] == sorted(set(lock["ids"])), f"keep {LOCK.name} sorted: run `{UPDATE}`"
    problems = lock_problems([flow.id for flow in load_catalog().flows], lock)
    assert not problems, "\n".join(problems)


def test_a_new_id_must_be_locked():
    problems = lock_problems(["a_001", "a_002"], {"ids": ["a_001"], "retired": {}})
    assert problems == [f"flow ids missing from flow_ids.lock.yml: a_002; run `{UPDATE}` to add them"]


def test_a_vanished_id_fails_unless_retired_with_a_note():
    assert "a_002; ids are stable" in lock_problems(["a_001"], {"ids": ["a_001", "a_002"], "retired": {}})[0]
    assert lock_problems(["a_001", "b_001"], {"ids": ["a_001", "b_001"],
                                              "retired": {"a_002": {"note": "merged", "renamed_to": "b_001"}}}) == []
    assert lock_problems(["a_001"], {"ids": ["a_001"], "retired": {"a_002": {"note": " "}}}) == [
        "retired flow id a_002 has no note saying why it left"]
    assert lock_problems(["a_001"], {"ids": ["a_001"], "retired": {"a_002": {"note": "x", "renamed_to": "c"}}}) == [
        "retired flow id a_002 is renamed to c, which is not in the catalog"]
    assert lock_problems(["a_001", "a_002"], {"ids": ["a_001", "a_002"], "retired": {"a_002": {"note": "x"}}}) == [
        "retired flow id a_002 is in the catalog again: ids are never reused"]
