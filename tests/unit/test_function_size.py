# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No function of the collection's Python is longer than LIMIT lines without a reason.

A function is measured from its ``def`` line to its last line (docstring and nested functions
included). A longer one is split into well-named smaller functions, or listed in ALLOWED with the
reason it stays long.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 60

# "path:qualified name" -> why it may be longer than LIMIT lines
ALLOWED = {
}


def long_functions(source: str, limit: int = LIMIT) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function of the source longer than limit lines."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if lines > limit:
                        found.append((name, lines))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


@lru_cache(maxsize=1)
def _plugin_functions() -> dict[str, int]:
    """'path:qualified name' -> lines, for every function over LIMIT lines under plugins/ (read once per run)."""
    result = {}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for name, lines in long_functions(path.read_text(encoding="utf-8")):
            result[f"{relative}:{name}"] = lines
    return result


def _statements(indent: str, count: int) -> str:
    return "".join(f"{indent}x{index} = {index}\n" for index in range(count))


def test_the_measure_counts_from_def_to_last_line_and_names_methods_and_nested_functions():
    source = ("def short():\n" + _statements("    ", LIMIT - 1)
              + "\n\nclass Thing:\n    def long(self):\n" + _statements("        ", LIMIT)
              + "\n        def inner():\n" + _statements("            ", LIMIT))
    assert dict(long_functions(source)) == {"Thing.long": 2 * LIMIT + 3, "Thing.long.inner": LIMIT + 1}


def test_no_function_is_longer_than_the_limit_without_a_reason():
    offenders = [f"{key}:{lines}" for key, lines in _plugin_functions().items() if key not in ALLOWED]
    assert not offenders, (
        f"functions over {LIMIT} lines (file:function:lines); split them into smaller functions, or add them "
        "to ALLOWED in tests/unit/test_function_size.py with the reason they stay long:\n  " + "\n  ".join(offenders)
    )


def test_every_allowed_function_has_a_reason_and_is_still_long():
    long = _plugin_functions()
    assert all(reason.strip() for reason in ALLOWED.values())
    stale = sorted(key for key in ALLOWED if key not in long)
    assert not stale, f"no longer over {LIMIT} lines (or renamed): remove them from ALLOWED: {', '.join(stale)}"
