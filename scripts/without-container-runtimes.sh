#!/usr/bin/env bash
# Run a command with podman and docker hidden from it:
#   scripts/without-container-runtimes.sh COMMAND [ARG...]
# The pytest stage runs this way, so that no test passes only because an earlier stage (molecule)
# installed a container runtime, or fails because one is there. As root, the command runs in a
# private mount namespace where every podman and docker on PATH is covered by an empty,
# non-executable file; elsewhere it runs as it is, with a note.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
if [ "${VDI_FIREWALL_RUNTIMES_HIDDEN:-}" = 1 ]; then
  # inside the namespace: cover each runtime, then run the command
  blank=$(mktemp)
  chmod 0644 "$blank"
  IFS=: read -r -a dirs <<< "$PATH"
  for dir in "${dirs[@]}"; do
    for name in podman docker; do
      if [ -e "$dir/$name" ]; then mount --bind "$blank" "$dir/$name"; fi
    done
  done
  for dir in "${dirs[@]}"; do
    for name in podman docker; do
      if [ -x "$dir/$name" ]; then echo "$0: could not hide $dir/$name" >&2; exit 1; fi
    done
  done
  exec "$@"
fi
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1; then
  VDI_FIREWALL_RUNTIMES_HIDDEN=1 exec unshare --mount --propagation private "$0" "$@"
fi
echo "$0: not root: running with the container runtimes on PATH" >&2
exec "$@"
