# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to vdi.firewall, not a public interface: the plan's files and the change-board outputs.

- ``files``: the report model and the plan's files (hosts/<host>.json, flows.csv, report.html, ...);
- ``html``: the self-contained report page; ``diagram``: its DOT source;
- ``change_request``: the CSV and XLSX change requests; ``export``: the catalog as a matrix.
"""
