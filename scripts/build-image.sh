#!/usr/bin/env bash
# Build the Debian 12 (bookworm) image the molecule scenarios run on, without a container registry:
# debootstrap a minimal root filesystem from the apt mirror this machine already uses, add systemd,
# D-Bus, firewalld (with its Python API) and nftables, then `podman import` it.
# Usage: scripts/build-image.sh [IMAGE]      default IMAGE: localhost/vdi-firewall-debian:12
# Nothing is done when IMAGE already exists (remove it with `podman rmi IMAGE` to rebuild).
set -euo pipefail
image=${1:-localhost/vdi-firewall-debian:12}
suite=bookworm

if podman image exists "$image"; then
  echo "build-image: $image exists"
  exit 0
fi

# The mirror: the first URIs of a deb822 source, else the first "deb" line of sources.list.
mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "build-image: no Debian mirror found in apt's sources" >&2; exit 1; }

rootfs=$(mktemp -d /var/tmp/vdi-firewall-rootfs.XXXXXX)
log=$(mktemp /var/tmp/vdi-firewall-debootstrap.XXXXXX.log)
trap 'rm -rf "$rootfs"' EXIT

# netbase gives /etc/protocols (firewalld and nft resolve protocol names there); libpam-systemd
# satisfies polkitd, which firewalld pulls in.
packages=systemd,systemd-sysv,libpam-systemd,dbus,firewalld,python3-firewall,nftables,iproute2,procps,python3,python3-apt,netbase
echo "build-image: debootstrap $suite from $mirror (log: $log)"
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  exit 1
fi

# Smaller and quieter: no package caches or lists, a fresh machine id at first boot, and none of the
# units that only make sense on a real machine (timers, gettys, pstore, e2scrub).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
: >"$rootfs/etc/machine-id"
rm -f "$rootfs"/etc/systemd/system/timers.target.wants/* \
      "$rootfs"/etc/systemd/system/getty.target.wants/* \
      "$rootfs"/etc/systemd/system/multi-user.target.wants/e2scrub_reap.service \
      "$rootfs"/etc/systemd/system/sysinit.target.wants/systemd-pstore.service

tar --numeric-owner -C "$rootfs" -cf - . | podman import --quiet \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'STOPSIGNAL=SIGRTMIN+3' \
  --change 'ENV=container=podman' \
  - "$image" >/dev/null
rm -f "$log"
echo "build-image: built $image"
