#!/usr/bin/env bash
# Prepare this machine for molecule's podman driver.
# - Installs podman, runc, debootstrap, nftables and iptables (netavark needs the iptables command
#   to wire container networks) with apt when one of them is missing.
# - Writes a containers.conf suited to hosts where crun cannot manage the (hybrid) cgroups and root
#   cannot raise its resource limits: the runc runtime, the cgroupfs manager, container ulimits no
#   higher than this shell's hard limits, file-based logs and events (no journald needed).
# The file goes to $CONTAINERS_CONF when set, else /etc/containers/containers.conf.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
for tool in podman runc debootstrap nft iptables; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "podman-setup: installing packages for: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc debootstrap nftables iptables \
    uidmap slirp4netns netavark aardvark-dns conmon catatonit >/dev/null
fi

hard_nofile=$(ulimit -Hn)
hard_nproc=$(ulimit -Hu)
# conmon runs the container's first process with at most 32768 processes; stay within both.
[ "$hard_nproc" = unlimited ] && hard_nproc=32768
[ "$hard_nproc" -gt 32768 ] && hard_nproc=32768
[ "$hard_nofile" = unlimited ] && hard_nofile=1048576

conf=${CONTAINERS_CONF:-/etc/containers/containers.conf}
mkdir -p "$(dirname "$conf")"
cat >"$conf" <<CONF
# Written by vdi.firewall scripts/podman-setup.sh
[containers]
default_ulimits = ["nofile=${hard_nofile}:${hard_nofile}", "nproc=${hard_nproc}:${hard_nproc}"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
CONF
echo "podman-setup: wrote $conf"
podman info --format 'podman {{.Version.Version}}: runtime {{.Host.OCIRuntime.Name}}, cgroups {{.Host.CgroupManager}}'
