#!/usr/bin/env bash
# Install a Drover agent on a Debian / Raspberry Pi OS device from the agent bundle, as root:
#   tar xzf drover-agent-VERSION-linux-ARCH.tar.gz && sudo drover-agent/install-agent.sh --hub mqtt://HUB:1883 --token-file F [--name N] [--runtime containerd|docker]
# (or the token in $DROVER_JOIN_TOKEN: `sudo DROVER_JOIN_TOKEN=... install-agent.sh --hub ...`; --token T still works but
# is readable by every local user while the script runs). The token is kept in /etc/drover/join-token (0600, root) and
# the agent reads it with --token-file: it is never on the agent's command line.
# Installs nodejs (20, as Debian and Raspberry Pi OS ship it), containerd and runc from the OS packages if missing,
# the self-contained agent bundle under /opt/drover-agent (no npm install: its dependencies are inside), and a
# systemd unit that starts it at boot.
set -euo pipefail
hub="" token="${DROVER_JOIN_TOKEN:-}" name="$(hostname | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-\n' '-')" runtime=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hub) hub="$2"; shift 2 ;;
    --token) token="$2"; echo "warning: --token is readable by every local user (ps); prefer --token-file or DROVER_JOIN_TOKEN" >&2; shift 2 ;;
    --token-file) token="$(tr -d '[:space:]' < "$2")"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --runtime) runtime="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$hub" ] && [ -n "$token" ] || { echo "usage: $0 --hub mqtt://HUB:1883 --token-file FILE [--name NAME] [--runtime containerd|docker]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v node >/dev/null || need+=(nodejs)
if [ -z "$runtime" ]; then
  if command -v ctr >/dev/null; then runtime=containerd; elif command -v docker >/dev/null; then runtime=docker; else runtime=containerd; need+=(containerd runc); fi
fi
# the pod network: CNI plugins (containerd pods), nftables (masquerading, the service proxy), conntrack (the service
# proxy's UDP flows), iproute2 (the pod bridge, the overlay), a static busybox (Docker's pause image)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v nft >/dev/null || need+=(nftables)
command -v conntrack >/dev/null || need+=(conntrack)
{ command -v ip >/dev/null && command -v bridge >/dev/null; } || need+=(iproute2)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then apt-get update && apt-get install -y "${need[@]}"; fi
systemctl enable --now "$runtime" 2>/dev/null || true
rm -rf /opt/drover-agent && mkdir -p /opt/drover-agent /etc/drover /var/lib/drover/agent
cp -r "$here"/. /opt/drover-agent/
umask 077
printf 'DROVER_HUB=%s\nDROVER_NAME=%s\nDROVER_RUNTIME=%s\n' "$hub" "$name" "$runtime" > /etc/drover/agent.env
printf '%s\n' "$token" > /etc/drover/join-token
cp /opt/drover-agent/drover-agent.service /etc/systemd/system/drover-agent.service
systemctl daemon-reload
systemctl enable --now drover-agent
echo "drover agent $name installed; it joins $hub with the token. Check: journalctl -u drover-agent -f"
