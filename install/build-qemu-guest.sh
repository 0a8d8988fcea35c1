#!/usr/bin/env bash
# Build (once) the root file system of the qemu guest that test/slow/qemu-boot.test.ts flashes and boots: Debian 13
# (trixie: its nodejs is 20, the Node a Debian device has) from the configured Debian mirror with debootstrap, with
# systemd, the Debian kernel, nodejs, containerd, runc, the CNI plugins, nftables, conntrack and busybox-static.
#   bash install/build-qemu-guest.sh            prints the cache directory: DIR/rootfs (the tree), DIR/vmlinuz, DIR/initrd.img
# Cached under /opt/drover-test/qemu-guest/<key>, the key a hash of this script (its suite, mirror and package list):
# a second run only prints the directory. Needs root (debootstrap chroots). Takes 5-15 min on a cold cache.
# The disk image itself is not built here: the test makes it from DIR/rootfs each run (sfdisk, mkfs.vfat, mkfs.ext4 -d).
set -euo pipefail
SUITE=trixie
MIRROR="${DROVER_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES=systemd,systemd-sysv,udev,dbus,kmod,linux-image-amd64,initramfs-tools,nodejs,containerd,runc,containernetworking-plugins,nftables,conntrack,iproute2,busybox-static,procps,ca-certificates
CACHE=/opt/drover-test/qemu-guest
key=$( { cat "$0"; echo "$MIRROR"; } | sha256sum | cut -c1-16)
out="$CACHE/$key"
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "build-qemu-guest: needs root (debootstrap); run: sudo bash $0" >&2; exit 1; }
command -v debootstrap >/dev/null || PATH="$PATH:/usr/sbin:/sbin" command -v debootstrap >/dev/null ||
  { echo "build-qemu-guest: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
root="$out.tmp/rootfs"
start=$(date +%s)
echo "build-qemu-guest: debootstrap $SUITE from $MIRROR into $root" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >"$out.tmp/debootstrap.log" 2>&1 ||
  { tail -30 "$out.tmp/debootstrap.log" >&2; echo "build-qemu-guest: debootstrap failed; log: $out.tmp/debootstrap.log" >&2; exit 1; }
# the guest: root on the image's second partition, DHCP on qemu's user network (10.0.2.15, the host at 10.0.2.2),
# root without a password on the serial console (a throwaway test machine), no apt timers or units that wait
# for a network the guest does not have
printf 'LABEL=drover-root / ext4 defaults 0 1\n' >"$root/etc/fstab"
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/20-wired.network"
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot "$root" systemctl enable containerd.service >/dev/null 2>&1 || true
chroot "$root" passwd -d root >/dev/null
printf 'drover-guest\n' >"$root/etc/hostname"
rm -f "$root/etc/machine-id" && : >"$root/etc/machine-id"   # systemd makes one on first boot, as on a fresh image
chroot "$root" apt-get clean
cp -L "$root/vmlinuz" "$out.tmp/vmlinuz"
cp -L "$root/initrd.img" "$out.tmp/initrd.img"
du -sm "$root" | cut -f1 >"$out.tmp/size-mib"
echo "$(( $(date +%s) - start ))" >"$out.tmp/build-seconds"
touch "$out.tmp/done"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "build-qemu-guest: built in $(cat "$out/build-seconds")s, $(cat "$out/size-mib") MiB" >&2
echo "$out"
