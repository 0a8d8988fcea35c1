#!/usr/bin/env bash
# Build the tiny local image Drover's tests and demo use, from Debian's busybox-static, with no
# daemon-side builder and no network: an image archive that is both an OCI layout (for `ctr images import`)
# and a docker-save archive (manifest.json, for `docker load`). Loads it into whichever of containerd
# (namespace drover) and Docker answer. Tags: drover.local/busybox:test, registry.local/nginx:1.26 and :1.27.
# DROVER_IMAGE_TAGS (space-separated), DROVER_IMAGE_NAMESPACE (containerd's; default drover) and DROVER_IMAGE_ARCH (GOARCH name written in the image config;
# default this machine's) let tests make other images, e.g. one that claims to be arm64 only.
set -euo pipefail
NAMESPACE="${DROVER_IMAGE_NAMESPACE:-drover}"
read -r -a TAGS <<<"${DROVER_IMAGE_TAGS:-drover.local/busybox:test registry.local/nginx:1.26 registry.local/nginx:1.27}"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

busybox=/bin/busybox
if ! [ -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "[image] $busybox is missing or not static: apt-get install -y busybox-static" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc" "$work/out/blobs/sha256"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo 'drover test image' > "$root/www/index.html"
tar --sort=name --mtime='2024-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .

blob() { # file -> prints digest hex, moves it into blobs
  local hex; hex=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$work/out/blobs/sha256/$hex"; echo "$hex"
}
size() { stat -c %s "$work/out/blobs/sha256/$1"; }

arch=${DROVER_IMAGE_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}
case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armhf|armv7l) arch=arm ;; esac
layer=$(blob "$work/layer.tar")
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"drover install/build-test-image.sh"}],"created":"2024-01-01T00:00:00Z"}' \
  "$arch" "$layer" > "$work/config.json"
config=$(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$(size "$config")" "$layer" "$(size "$layer")" > "$work/manifest.json"
manifest=$(blob "$work/manifest.json")

entries="" tags=""
for t in "${TAGS[@]}"; do
  entries+="${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$(size "$manifest"),\"annotations\":{\"io.containerd.image.name\":\"$t\",\"org.opencontainers.image.ref.name\":\"${t##*:}\"}}"
  tags+="${tags:+,}\"$t\""
done
printf '{"schemaVersion":2,"manifests":[%s]}' "$entries" > "$work/out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/out/oci-layout"
printf '[{"Config":"blobs/sha256/%s","RepoTags":[%s],"Layers":["blobs/sha256/%s"]}]' "$config" "$tags" "$layer" > "$work/out/manifest.json"
tar -C "$work/out" -cf "$work/image.tar" .

loaded=0
if command -v ctr >/dev/null && as_root ctr version >/dev/null 2>&1; then
  as_root ctr -n "$NAMESPACE" images import --all-platforms "$work/image.tar" >/dev/null
  echo "[image] imported ${TAGS[*]} into containerd (namespace $NAMESPACE)"; loaded=1
fi
if command -v docker >/dev/null && as_root docker version >/dev/null 2>&1; then
  as_root docker load -i "$work/image.tar" >/dev/null
  echo "[image] loaded ${TAGS[*]} into docker"; loaded=1
fi
[ "$loaded" = 1 ] || { echo "[image] neither containerd nor docker answers: nothing loaded" >&2; exit 1; }
