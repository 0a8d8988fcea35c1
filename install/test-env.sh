#!/usr/bin/env bash
# Prepare this machine (Debian 12) for Drover's test suite; `npm test` runs it first, and so does CI.
#   1. packages: containerd, runc, Docker, busybox-static, mosquitto-clients, the pod network's
#      containernetworking-plugins, nftables and conntrack (the service proxy), iperf3 (the network benchmark), etcd (the etcd store)
#      (apt, as root or through sudo)
#   2. daemons: containerd and dockerd answering on their sockets (started in the background if not)
#   3. test image: drover.local/busybox:test (static busybox + applets, CMD ["/bin/sh"]), also tagged
#      registry.local/nginx:1.27 and :1.26 for the rolling-update tests, in Docker and in containerd
#      namespace "drover". Nothing is pulled: install/build-test-image.sh builds it from Debian's busybox-static.
# Idempotent: when everything is in place it only checks, and takes a few seconds. One line per step.
set -euo pipefail

# Overridable only so that this script's own test can exercise the build and import without touching the
# images other tests use: TEST_ENV_NAMESPACE, TEST_ENV_TAGS (space-separated; the first is the one built).
NAMESPACE="${TEST_ENV_NAMESPACE:-drover}"
read -r -a TAGS <<<"${TEST_ENV_TAGS:-drover.local/busybox:test registry.local/nginx:1.27 registry.local/nginx:1.26}"
IMAGE="${TAGS[0]}"
PACKAGES=(containerd runc docker.io busybox-static mosquitto-clients iproute2 curl containernetworking-plugins nftables conntrack iperf3 mtools dosfstools fdisk e2fsprogs xz-utils etcd-server etcd-client)
CONTAINERD_SOCK=/run/containerd/containerd.sock
WAIT_SECONDS=60

step() { echo "[test-env] $*"; }
die() { echo "[test-env] FAILED: $*" >&2; exit 1; }

# Run as root: directly, or through sudo; else fail with the exact command to run.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "needs root for: $*  (run this script as root, or install sudo)"
  fi
}

# --- 1. packages -------------------------------------------------------------------------------------
busybox_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
missing=()
for bin in containerd ctr runc dockerd docker mosquitto_pub; do
  command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
busybox_static || missing+=("busybox-static (/bin/busybox, statically linked)")
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] && [ -x /usr/lib/cni/loopback ] || missing+=("containernetworking-plugins (/usr/lib/cni)")
for bin in nft conntrack ip bridge iperf3 mcopy mdir mkfs.vfat sfdisk debugfs mke2fs e2fsck xz etcd etcdctl; do
  command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "packages: missing ${missing[*]}; installing ${PACKAGES[*]}"
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "[test-env] not root and no sudo. As root, run:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${PACKAGES[*]}" >&2
    exit 1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
  busybox_static || die "/bin/busybox is still missing or not static after installing busybox-static"
  step "packages: installed"
else
  step "packages: all present"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- 2. daemons --------------------------------------------------------------------------------------
# The daemons, their sockets and the images are root's: without root or sudo nothing below can work.
if [ "$(id -u)" != 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
  die "the container daemons need root: run this script as root (or give this user passwordless sudo)"
fi
ctr_ok() { as_root ctr --connect-timeout 2s version >/dev/null 2>&1; }
docker_ok() { as_root docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# name, probe function, command...: start the daemon detached from this script (setsid + nohup) and wait.
ensure_daemon() {
  local name="$1" probe="$2"; shift 2
  if "$probe"; then step "$name: running"; return; fi
  local log="/var/log/drover-$name.log"
  step "$name: not answering; starting \`$*\` in the background (log: $log)"
  as_root bash -c "setsid nohup $* >$log 2>&1 </dev/null &"
  local waited=0
  until "$probe"; do
    waited=$((waited + 1))
    [ "$waited" -le "$WAIT_SECONDS" ] || die "$name did not answer within ${WAIT_SECONDS}s; see $log"
    sleep 1
  done
  step "$name: started after ${waited}s"
}
ensure_daemon containerd ctr_ok containerd
ensure_daemon dockerd docker_ok dockerd --containerd="$CONTAINERD_SOCK"

# --- 3. test image -----------------------------------------------------------------------------------
# One builder for the demo (install/runtime.sh) and the tests: install/build-test-image.sh, daemon-less.
in_docker() { as_root docker image inspect "$1" >/dev/null 2>&1; }
in_containerd() { grep -qxF "$1" <<<"$(as_root ctr -n "$NAMESPACE" images ls -q)"; }
missing_images() { for tag in "${TAGS[@]}"; do in_docker "$tag" && in_containerd "$tag" || echo "$tag"; done; }

if [ -z "$(missing_images)" ]; then
  step "images ${TAGS[*]}: present in docker and in containerd namespace $NAMESPACE"
else
  step "image $IMAGE: building from /bin/busybox (install/build-test-image.sh), tags ${TAGS[*]}"
  out="$(DROVER_IMAGE_TAGS="${TAGS[*]}" DROVER_IMAGE_NAMESPACE="$NAMESPACE" bash "$(dirname "$0")/build-test-image.sh" 2>&1)" ||
    die "image build failed: $out"
  [ -z "$(missing_images)" ] || die "after the build these are still missing: $(missing_images | tr '\n' ' ')"
  step "images ${TAGS[*]}: loaded into docker and imported into containerd namespace $NAMESPACE"
fi
# --- 4. kubectl 1.20 (Debian's kubernetes-client) for the legacy SPDY tests, beside Google's dispatcher ---
LEGACY_KUBECTL=/opt/drover-test/kubernetes-client/usr/bin/kubectl
if [ -x "$LEGACY_KUBECTL" ]; then
  step "kubectl 1.20: present at $LEGACY_KUBECTL"
else
  dl="$(mktemp -d)"
  (cd "$dl" && as_root apt-get download -q kubernetes-client >/dev/null 2>&1 || { as_root apt-get update -q >/dev/null && as_root apt-get download -q kubernetes-client >/dev/null; }) ||
    die "apt-get download kubernetes-client failed"
  as_root mkdir -p /opt/drover-test/kubernetes-client && as_root dpkg -x "$dl"/kubernetes-client_*.deb /opt/drover-test/kubernetes-client
  rm -rf "$dl"
  [ -x "$LEGACY_KUBECTL" ] || die "kubernetes-client did not hold usr/bin/kubectl"
  step "kubectl 1.20: unpacked Debian's kubernetes-client into /opt/drover-test/kubernetes-client"
fi
step "ready"
