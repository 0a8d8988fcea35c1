#!/bin/sh
# First boot of an image written by `drover flash` (run by drover-firstboot.service, as root):
# unpack the agent bundle from /opt/drover/firstboot, install it as the drover-agent systemd service with the join
# token from /etc/drover/firstboot/join-token and the flashed node labels (a unit drop-in setting $DROVER_NODE_LABELS,
# which the agent reads as its --labels default and asks the hub for when it joins), wait until the agent has joined (it then has its own credentials in
# /var/lib/drover/agent/credentials.json), remove the one-time secrets (both copies of the join token) and disable
# this unit. Wi-Fi settings stay. Logs: journalctl -u drover-firstboot
set -eu
fb=/etc/drover/firstboot
. "$fb/firstboot.env"   # DROVER_HUB, DROVER_NAME, DROVER_LABELS, DROVER_IMAGE_HUB (optional)
# before install-agent.sh starts the agent: the labels go with its first join; the agent reads both variables as
# the defaults of its --labels and --image-hub
if [ -n "${DROVER_LABELS:-}" ] || [ -n "${DROVER_IMAGE_HUB:-}" ]; then
  mkdir -p /etc/systemd/system/drover-agent.service.d
  {
    printf '[Service]\n'
    [ -z "${DROVER_LABELS:-}" ] || printf 'Environment=DROVER_NODE_LABELS=%s\n' "$DROVER_LABELS"
    [ -z "${DROVER_IMAGE_HUB:-}" ] || printf 'Environment=DROVER_IMAGE_HUB=%s\n' "$DROVER_IMAGE_HUB"
  } >/etc/systemd/system/drover-agent.service.d/10-flash.conf
fi
work=$(mktemp -d)
tar -C "$work" -xzf /opt/drover/firstboot/drover-agent.tar.gz
"$work/drover-agent/install-agent.sh" --hub "$DROVER_HUB" --token-file "$fb/join-token" --name "$DROVER_NAME"
rm -rf "$work"
i=0
while [ ! -s /var/lib/drover/agent/credentials.json ]; do
  i=$((i + 1))
  [ "$i" -le 1800 ] || { echo "drover-firstboot: the agent has not joined $DROVER_HUB after 30 min; the token stays for the next boot" >&2; exit 1; }
  sleep 1
done
rm -f "$fb/join-token" /etc/drover/join-token
rm -f "$fb/firstboot.env"
systemctl disable drover-firstboot.service || rm -f /etc/systemd/system/multi-user.target.wants/drover-firstboot.service
rm -rf /opt/drover/firstboot
echo "drover-firstboot: $DROVER_NAME joined $DROVER_HUB (labels: ${DROVER_LABELS:-none}); join token removed"
