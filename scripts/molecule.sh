#!/usr/bin/env bash
# Run the molecule scenarios against local podman containers:
#   scripts/molecule.sh [SCENARIO...]       default: firewalld nftables zones
# Prepares podman (scripts/podman-setup.sh), builds the Debian 12 image once
# (scripts/build-image.sh), then runs `molecule test` for each scenario and prints its duration.
# Needs root (podman with fixed container addresses, firewalls inside the containers).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x "$root/.venv/bin/molecule" ] && export PATH="$root/.venv/bin:$PATH"
command -v molecule >/dev/null || { echo "molecule.sh: molecule not found; run 'make setup' first" >&2; exit 1; }

# The collection resolves from the checkout, as in the Makefile.
link="$root/.build/collections/ansible_collections/vdi/firewall"
if [ ! -e "$link" ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn "$root" "$link"
fi
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

scripts/podman-setup.sh
scripts/build-image.sh

scenarios=("$@")
[ "${#scenarios[@]}" -gt 0 ] || scenarios=(firewalld nftables zones)
summary=()
for scenario in "${scenarios[@]}"; do
  started=$(date +%s)
  molecule test --scenario-name "$scenario"
  summary+=("molecule $scenario: passed in $(( $(date +%s) - started )) s")
done
printf '%s\n' "${summary[@]}"
