#!/usr/bin/env bash
# busybox.sh OUT_DIR: builds two tiny images from Debian's busybox-static, as docker-archive
# tarballs in OUT_DIR: the pod sandbox ("pause") image and a busybox image for node tests.
#   localhost/chatfleet/pause:busybox    sleeps forever as the pod's infra container
#   localhost/chatfleet/busybox:1        /bin/sh and the usual applets (httpd, wget, nc, ...)
set -euo pipefail
out=$1
src=/bin/busybox
[[ -x $src ]] && file -L "$src" 2>/dev/null | grep -q 'statically linked' || src=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$' || true)
[[ -n $src && -x $src ]] || { echo "busybox-static is missing: apt-get install busybox-static" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,var/www} "$out"
cp "$src" "$root/bin/busybox"
for applet in $("$src" --list); do [[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"; done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
"$here/rootfs-to-image.sh" "$root" localhost/chatfleet/busybox:1 "$out/busybox.tar" '["/bin/sh"]'
"$here/rootfs-to-image.sh" "$root" localhost/chatfleet/pause:busybox "$out/pause.tar" '["/bin/sleep","2147483647"]' 65534:65534
