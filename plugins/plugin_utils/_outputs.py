# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one writer of the collection's output files, and the encodings that keep them safe.

Internal to vdi.firewall, not a public interface: it may change in any release.

- File names from host and device names are percent-encoded (reversibly), so that no name
  escapes the output directory or makes a folder: ``../x`` is ``%2E%2E%2Fx``.
- Spreadsheet cells are text, always: a CSV cell that a spreadsheet would read as a formula
  (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``,
  and CSV files are UTF-8 with a byte-order mark, so that Excel opens them without mojibake.
- A set of files is written whole or not at all: every changed file is staged beside its target
  first, then moved into place; on any error the files written so far are put back as they
  were, and the previous outputs are left exactly as they were.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# bytes of an encoded name; most file systems allow 255 for a whole file name, suffix included
MAX_NAME_BYTES = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Staging threads, each creating its files in a folder of its own. Creating a file costs far more than
# writing it where the file system makes inodes slowly or remotely (network file systems, some virtual
# disks: 0.6 ms a file), and a folder's entries are made one at a time: a plan writes one file per host.
STAGING_THREADS = 4
# files below which one thread stages them all
STAGING_BATCH = 64


def file_name(name, what: str = "host") -> str:
    """The file-name form of a host or device name: every character outside [A-Za-z0-9._-], and a
    leading '.', percent-encoded (UTF-8). ``name_of`` turns it back."""
    text = str(name)
    if not text:
        raise VdiFirewallError(f"a {what} has an empty name")
    encoded = "".join(char if char in _SAFE else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
                      for char in text)
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded.encode("ascii")) > MAX_NAME_BYTES:
        raise VdiFirewallError(
            f"{what} '{text[:60]}...': its name is too long for a file name ({len(encoded)} characters encoded, "
            f"at most {MAX_NAME_BYTES})")
    return encoded


def name_of(stem: str) -> str:
    """The host or device name a file name (without its suffix) was made from."""
    return unquote(stem)


def cell(value) -> str:
    """A value as a spreadsheet cell that is never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns, rows) -> str:
    """CSV text (with a byte-order mark) of dict rows, every cell neutralised."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([cell(column) for column in columns])
    for row in rows:
        writer.writerow([cell(row.get(column, "")) for column in columns])
    return buffer.getvalue()


# compact and sorted: Python's C encoder (the indenting encoder is pure Python, ten times slower)
_COMPACT = json.JSONEncoder(sort_keys=True).encode


class JsonCompact:
    """``json.dumps(value, sort_keys=True)``, byte for byte; an object met again is not encoded again.

    One instance per set of documents, which must not change while it is in use (it remembers the text
    of every container it met, by identity).
    """

    def __init__(self):
        # id -> (the object, kept so that its id stays its own, its text)
        self._seen: dict[int, tuple[object, str]] = {}
        self._strings: dict[str, str] = {}  # a string -> its JSON text

    def __call__(self, value) -> str:
        if isinstance(value, str):
            return self._strings.get(value) or self._strings.setdefault(value, _COMPACT(value))
        if not isinstance(value, (dict, list, tuple)) or not value:
            return _COMPACT(value)
        seen = self._seen.get(id(value))
        if seen is not None:
            return seen[1]
        if not isinstance(value, dict):
            text = "[" + ", ".join([self(item) for item in value]) + "]"
        elif all(isinstance(name, str) for name in value):
            text = "{" + ", ".join([f"{self(name)}: {self(item)}" for name, item in sorted(value.items())]) + "}"
        else:
            text = _COMPACT(value)  # keys that json turns into strings: its own encoder
        self._seen[id(value)] = (value, text)
        return text


class JsonText:
    """``json.dumps(value, indent=2, sort_keys=True) + "\n"``, byte for byte, for many similar documents.

    The planner shares the rules of identical hosts: an object met again is not encoded again. A
    mapping met for the first time is encoded compactly (Python's C encoder; its indenting one is pure
    Python, several times slower) and indented only when that content is new at that depth; a list is
    put together from its items. One instance per set of documents, which must not change while it is
    in use: it remembers what it indented.
    """

    def __init__(self):
        self._indented: dict[tuple[int, str], str] = {}
        self._names: dict[str, str] = {}  # a string (a key, a value) -> its JSON text: the documents share them
        # (level, id) -> (the object, kept so that its id stays its own, its text)
        self._seen: dict[tuple[int, int], tuple[object, str]] = {}

    def __call__(self, value) -> str:
        if isinstance(value, (dict, list, tuple)) and value:
            return self._container(value, 0) + "\n"
        return _COMPACT(value) + "\n"

    def _value(self, value, level: int) -> str:
        if isinstance(value, str):
            return self._names.get(value) or self._names.setdefault(value, _COMPACT(value))
        if not isinstance(value, (dict, list, tuple)) or not value:
            return _COMPACT(value)
        seen = self._seen.get((level, id(value)))
        if seen is not None:
            return seen[1]
        if isinstance(value, dict):
            key = (level, _COMPACT(value))
            text = self._indented.get(key)
            if text is None:
                text = self._indented[key] = self._container(value, level)
        else:
            text = self._container(value, level)
        self._seen[(level, id(value))] = (value, text)
        return text

    def _container(self, value, level: int) -> str:
        inner = "\n" + "  " * (level + 1)
        if not isinstance(value, dict):
            body = ("," + inner).join([self._value(item, level + 1) for item in value])
            return "[" + inner + body + "\n" + "  " * level + "]"
        if not all(isinstance(name, str) for name in value):
            # keys that json turns into strings: its own encoder, the same text
            return json.dumps(value, indent=2, sort_keys=True).replace("\n", "\n" + "  " * level)
        names = self._names
        body = ("," + inner).join([f"{names.get(name) or names.setdefault(name, _COMPACT(name))}: "
                                   f"{self._value(item, level + 1)}" for name, item in sorted(value.items())])
        return "{" + inner + body + "\n" + "  " * level + "}"


def json_text(value) -> str:
    """One document as ``json.dumps(value, indent=2, sort_keys=True) + "\n"`` (see JsonText for many)."""
    return JsonText()(value)


def _check_relative(relative: str) -> None:
    parts = relative.split("/")
    if os.path.isabs(relative) or any(part in ("", ".", "..") for part in parts):
        raise VdiFirewallError(f"refusing to write '{relative}': not a plain path inside the output directory")


def _encoded(content) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _check_directory(output_dir: str, relative: str) -> None:
    """Fail, naming the path, when a folder on the way to the file is a file."""
    path = output_dir
    for part in ["", *relative.split("/")[:-1]]:
        path = os.path.join(path, part) if part else path
        if os.path.exists(path) and not os.path.isdir(path):
            raise VdiFirewallError(f"cannot write {os.path.join(output_dir, relative)}: {path} is not a directory")


def changed_files(output_dir: str, files: dict) -> list[str]:
    """The relative paths whose content differs from what is on disk (or that are missing)."""
    changed = []
    folders = set()  # each folder on the way checked once, not once per file
    for relative in sorted(files):
        _check_relative(relative)
        folder = relative.rpartition("/")[0]
        if folder not in folders:
            _check_directory(output_dir, relative)
            folders.add(folder)
        path = os.path.join(output_dir, relative)
        try:
            with open(path, "rb") as handle:
                if handle.read() == _encoded(files[relative]):
                    continue
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise VdiFirewallError(f"cannot write {path}: it is a directory") from None
        except OSError as exc:
            raise VdiFirewallError(f"cannot read {path}: {exc}") from exc
        changed.append(relative)
    return changed


def write_outputs(output_dir, files: dict, remove=(), check_mode: bool = False) -> dict:
    """Write the files whose content differs and remove the stale ones, all or nothing.

    files: relative path -> text or bytes; remove: relative paths of stale files the collection
    owns. Returns {written, removed} (relative paths), the same in check mode.
    """
    if output_dir is None or not str(output_dir).strip():
        raise VdiFirewallError("the output directory is empty: give a directory to write to")
    output_dir = str(output_dir)
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise VdiFirewallError(f"the output directory {output_dir} is not a directory")
    written = changed_files(output_dir, files) if os.path.isdir(output_dir) else sorted(files)
    for relative in written:
        _check_relative(relative)
    removed = []
    for relative in sorted(set(remove) - set(files)):
        _check_relative(relative)
        if os.path.isfile(os.path.join(output_dir, relative)):
            removed.append(relative)
    if check_mode or not (written or removed):
        return {"written": written, "removed": removed}
    try:
        os.makedirs(output_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".vdi_firewall-", dir=output_dir)
    except OSError as exc:
        raise VdiFirewallError(f"cannot write to {output_dir}: {exc}") from exc
    try:
        _commit(output_dir, staging, files, written, removed)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"written": written, "removed": removed}


def _commit(output_dir: str, staging: str, files: dict, written: list[str], removed: list[str]) -> None:
    try:
        staged = _stage(staging, files, written)
        # on disk before any is moved into place: one flush for the whole set, not one per file
        os.sync()
    except OSError as exc:
        raise VdiFirewallError(f"cannot write to {output_dir}: {exc}; nothing was changed") from exc
    done: list[tuple[str, str | None]] = []  # (target, its backup or None when it was new)
    created: list[str] = []
    folders = set()  # folders known to exist
    try:
        for number, relative in enumerate([*written, *removed]):
            target = os.path.join(output_dir, relative)
            parent = os.path.dirname(target)
            if parent not in folders and not os.path.isdir(parent):
                os.makedirs(parent)
                created.append(parent)
            folders.add(parent)
            backup = None
            if os.path.lexists(target):
                backup = os.path.join(staging, f"old{number}")
                os.replace(target, backup)
            done.append((target, backup))
            if relative in staged:
                os.replace(staged[relative], target)
    except OSError as exc:
        for target, backup in reversed(done):
            try:
                if os.path.lexists(target):
                    os.remove(target)
                if backup:
                    os.replace(backup, target)
            except OSError:
                pass
        for parent in reversed(created):
            try:
                os.rmdir(parent)
            except OSError:
                pass
        raise VdiFirewallError(f"cannot write {exc.filename or output_dir}: {exc.strerror or exc}; "
                               "the previous files are left as they were") from exc


def _stage(staging: str, files: dict, written: list[str]) -> dict[str, str]:
    """Every written file's content in a new file under staging, by up to STAGING_THREADS threads (an
    OSError from any is raised once all have stopped); relative path -> staged path."""
    threads = max(1, min(STAGING_THREADS, len(written) // STAGING_BATCH))
    folders = [os.path.join(staging, str(number)) for number in range(threads)]
    for folder in folders:
        os.mkdir(folder)
    staged = {relative: os.path.join(folders[number % threads], f"new{number}")
              for number, relative in enumerate(written)}

    def stage(share: int) -> None:
        for relative in written[share::threads]:
            with open(staged[relative], "wb") as handle:
                handle.write(_encoded(files[relative]))

    if threads == 1:
        stage(0)
    else:
        # leaving the block waits for every thread, so that nothing still writes when staging is removed
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(stage, range(threads)))
    return staged


def stale_files(output_dir, folder: str, suffixes, keep) -> list[str]:
    """Relative paths of files under output_dir/folder that end in one of the suffixes and whose
    decoded name is not in keep (names of hosts or devices)."""
    directory = os.path.join(str(output_dir or ""), folder)
    if not output_dir or not os.path.isdir(directory):
        return []
    result = []
    for entry in sorted(os.listdir(directory)):
        for suffix in suffixes:
            if entry.endswith(suffix) and name_of(entry[:-len(suffix)]) not in keep:
                result.append(f"{folder}/{entry}")
                break
    return result
