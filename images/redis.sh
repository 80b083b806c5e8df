#!/usr/bin/env bash
# redis.sh OUT_DIR: a Redis image for the real node, from the build host's Debian redis-server
# and redis-cli (the test environment installs them) plus busybox for `sh` and `grep`:
#   localhost/chatfleet/redis:7      as a docker-archive tarball in OUT_DIR
# It stands in for the official redis image, which cannot be pulled here: the same binaries'
# major version, uid/gid 999 for the "redis" user and a world-writable /data. The operator
# runs it like the official image (command redis-server, exec probe redis-cli ping).
set -euo pipefail
out=$1
ref=localhost/chatfleet/redis:7
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
[[ -x $busybox ]] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || busybox=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$' || true)
[[ -n $busybox && -x $busybox ]] || { echo "busybox-static is missing: apt-get install busybox-static" >&2; exit 1; }
for b in redis-server redis-cli; do
  command -v "$b" >/dev/null || { echo "$b is missing: apt-get install redis-server" >&2; exit 1; }
done
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,etc,tmp,data} "$out"
cp "$busybox" "$root/bin/busybox"
for applet in sh grep cat ls; do ln -sf busybox "$root/bin/$applet"; done
# The binaries and every shared library they load (with the dynamic loader), at their paths.
for b in redis-server redis-cli; do
  bin=$(readlink -f "$(command -v "$b")")
  cp "$bin" "$root/usr/bin/$b"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
chmod 1777 "$root/tmp"
chmod 0777 "$root/data"
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nredis:x:999:\n' >"$root/etc/group"
version=$(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2)
IMAGE_ENV="REDIS_VERSION=$version" "$here/rootfs-to-image.sh" "$root" "$ref" "$out/redis.tar" '["redis-server"]' 999:999
