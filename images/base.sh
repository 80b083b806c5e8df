#!/usr/bin/env bash
# Builds the local Node 24 slim base image (localhost/chatfleet/node:24-slim) with no registry:
# a Debian bookworm minbase root filesystem (debootstrap, from the Debian mirror), the Node
# binary of the npm `node@24` package in node_modules, and npm from the npm registry. It is
# the stand-in for node:24-slim; the Dockerfiles take it through their NODE_IMAGE build arg.
# Cached by (suite, node version, npm version): a warm run only checks that podman has it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

node_bin=$(node_binary)
[[ -x $node_bin ]] || die "node_modules/node/bin/node is missing: run npm ci first"
node_version=$("$node_bin" --version)
[[ $node_version == v24.* ]] || die "node_modules/node is $node_version, expected v24"
ca_sum=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -c1-8)
key="$DEBIAN_SUITE-node-$node_version-npm-$NPM_VERSION-ca-$ca_sum"
tarball="$IMAGES_CACHE/base-$key.tar"

# The Debian part is cached on its own (keyed by suite), so a new Node or npm only re-layers.
debian_rootfs() {
  local root=$1 cached="$IMAGES_CACHE/debian-$DEBIAN_SUITE-minbase.tar.gz"
  if [[ ! -f $cached ]]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
    log "debootstrap $DEBIAN_SUITE minbase (one to a few minutes)"
    debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" >"$IMAGES_CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$IMAGES_CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    # slim: no apt lists, docs, man pages or locales beyond C.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
      "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
    tar -C "$root" --numeric-owner -czf "$cached.tmp" . && mv "$cached.tmp" "$cached"
  else
    tar -C "$root" --numeric-owner -xzf "$cached"
  fi
}

build_rootfs() {
  local root=$1
  debian_rootfs "$root"
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  log "adding npm $NPM_VERSION from the npm registry"
  local pack
  pack=$(cd "$IMAGES_CACHE" && npm pack --silent "npm@$NPM_VERSION")
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$IMAGES_CACHE/$pack" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  rm -f "$IMAGES_CACHE/$pack"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # Trust the build host's extra CAs (a TLS-inspecting egress proxy, a company CA): `npm ci` in
  # the Dockerfiles must reach the npm registry. Node reads the system bundle through
  # NODE_EXTRA_CA_CERTS (set in the image config below).
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" /usr/sbin/update-ca-certificates >/dev/null 2>&1
  fi
  # The official image has a `node` user (1000:1000); keep that for Dockerfiles that use it.
  chroot "$root" /usr/sbin/groupadd --gid 1000 node
  chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
}

main() {
  mkdir -p "$IMAGES_CACHE"
  trap release_podman_storage EXIT
  if [[ ! -f $tarball ]]; then
    ROOTFS=$(mktemp -d "$IMAGES_CACHE/rootfs.XXXXXX")
    trap 'rm -rf "$ROOTFS"; release_podman_storage' EXIT
    local root=$ROOTFS
    build_rootfs "$root"
    IMAGE_ENV="NODE_VERSION=${node_version#v} NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
      "$IMAGES_SRC/rootfs-to-image.sh" "$root" "$BASE_IMAGE" "$tarball.tmp" null "" '["node"]'
    mv "$tarball.tmp" "$tarball"
  fi
  if ! podman_local image exists "$BASE_IMAGE" || [[ $(cat "$IMAGES_CACHE/base.loaded" 2>/dev/null) != "$key" ]]; then
    podman_local load -q -i "$tarball" >/dev/null
    echo "$key" >"$IMAGES_CACHE/base.loaded"
  fi
  log "base image $BASE_IMAGE ready ($key)"
}

main
