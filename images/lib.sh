# Shared settings for the image scripts. Sourced, never executed.
# shellcheck shell=bash
IMAGES_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$IMAGES_SRC/.." && pwd)"
STATE_DIR="${CHATFLEET_TESTENV_DIR:-$REPO_ROOT/.testenv}"
IMAGES_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/chatfleet/images"
# shellcheck source=../testenv/packages.sh
source "$REPO_ROOT/testenv/packages.sh"

DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=http://deb.debian.org/debian
# npm for the base image comes from the npm registry, in the major Node 24 ships with.
NPM_VERSION=11.21.2
BASE_IMAGE=localhost/chatfleet/node:24-slim
BOT_IMAGE=localhost/chatfleet/bot-runtime:dev
OPERATOR_IMAGE=localhost/chatfleet/operator:dev
# docker-archive tarballs of the built images; real-node/up.sh re-imports them on every start.
EXPORT_DIR="$IMAGES_CACHE/export"

log() { printf '[images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Podman with its storage in our cache (not /var/lib/containers), cgroupfs (no systemd) and runc.
podman_local() {
  podman --root "$IMAGES_CACHE/podman/storage" --runroot "$IMAGES_CACHE/podman/run" \
    --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime "$(command -v runc)" "$@"
}

# containers/storage bind-mounts its overlay folder onto itself while in use; podman leaves
# that mount behind, so the image scripts unmount it when they finish.
release_podman_storage() { umount "$IMAGES_CACHE/podman/storage/overlay" 2>/dev/null || true; }

node_binary() { echo "$REPO_ROOT/node_modules/node/bin/node"; }
