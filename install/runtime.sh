#!/usr/bin/env bash
# Make sure this machine has a container runtime for `drover up` (run by `npm start`):
#  - containerd or Docker answering: nothing to do;
#  - installed but not running: start it (systemd if it runs, else in the background);
#  - neither installed: as root, install containerd and runc from Debian's packages; otherwise say how.
# Then build the local demo image drover.local/busybox:test from Debian's busybox-static (no internet needed),
# so that the README's tour runs offline. Idempotent; takes a second when all is in place.
set -euo pipefail
log() { echo "[runtime] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

ctr_ok() { command -v ctr >/dev/null && as_root ctr version >/dev/null 2>&1; }
docker_ok() { command -v docker >/dev/null && as_root docker version >/dev/null 2>&1; }

start_bg() { # name, socket, command...
  local name="$1" sock="$2"; shift 2
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    as_root systemctl start "$name" || true
  fi
  if [ ! -S "$sock" ]; then
    log "starting $name in the background (log: /var/log/drover-$name.log)"
    as_root bash -c "setsid nohup $* >/var/log/drover-$name.log 2>&1 < /dev/null &"
  fi
}

wait_for() { # description, test command...
  local what="$1"; shift
  for _ in $(seq 1 60); do "$@" && return 0; sleep 1; done
  echo "[runtime] $what did not come up within 60 s" >&2; return 1
}

if ! ctr_ok && ! docker_ok; then
  if ! command -v containerd >/dev/null && ! command -v dockerd >/dev/null; then
    if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then
      log "no container runtime: installing containerd and runc from Debian's packages"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc
    else
      echo "No container runtime found. Install one as root: apt-get install -y containerd runc (or docker.io), then start it." >&2
      exit 1
    fi
  fi
  if command -v containerd >/dev/null; then
    start_bg containerd /run/containerd/containerd.sock containerd
    wait_for "containerd" ctr_ok
  else
    start_bg docker /var/run/docker.sock dockerd
    wait_for "dockerd" docker_ok
  fi
fi
# The pod network: CNI plugins (bridge, host-local, portmap, loopback in /usr/lib/cni), nftables (masquerading,
# the service proxy), conntrack (the service proxy clears UDP flows of endpoints that left), iproute2 (ip and
# bridge: the pod bridge, the VXLAN overlay). Installed where missing, as root; otherwise say how.
has() { command -v "$1" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1; }
pod_network_missing=()
[ -x /usr/lib/cni/bridge ] || pod_network_missing+=(containernetworking-plugins)
has nft || pod_network_missing+=(nftables)
has conntrack || pod_network_missing+=(conntrack)
{ has ip && has bridge; } || pod_network_missing+=(iproute2)
if [ "${#pod_network_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then
    log "pod network: installing ${pod_network_missing[*]} from Debian's packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pod_network_missing[@]}" >/dev/null
  else
    echo "[runtime] the pod network needs ${pod_network_missing[*]}: as root, apt-get install -y ${pod_network_missing[*]}" >&2
  fi
fi

ctr_ok && log "containerd: $(as_root ctr version 2>/dev/null | awk '/Server:/{s=1} s&&/Version:/{print $2; exit}')"
docker_ok && log "docker: $(as_root docker version --format '{{.Server.Version}}')"

# The demo image, from busybox-static.
IMAGE=drover.local/busybox:test
have_image() {
  if ctr_ok && ! as_root ctr -n drover images ls -q 2>/dev/null | grep -qx "$IMAGE"; then return 1; fi
  if docker_ok && ! as_root docker image inspect "$IMAGE" >/dev/null 2>&1; then return 1; fi
  return 0
}
if ! have_image; then
  if ! { [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; } && [ ! -x /usr/bin/busybox-static ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static file >/dev/null || { echo "[runtime] could not install busybox-static for the demo image; skipping it" >&2; exit 0; }
  fi
  exec_dir="$(dirname "$0")"
  bash "$exec_dir/build-test-image.sh"
fi
