#!/usr/bin/env bash
# npm run images: builds the bot-runtime and operator images with Debian's podman, from
# bot-runtime/Dockerfile and operator/Dockerfile (the single definition of each image),
# against the local Node 24 slim base (images/base.sh), so nothing is pulled from a registry.
# Then exports them and, when the real node is up, imports them into its containerd (k8s.io).
#
#   npm run images [-- bot-runtime|operator ...]     (default: both)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

declare -A DOCKERFILE=([bot-runtime]=bot-runtime/Dockerfile [operator]=operator/Dockerfile)
declare -A IMAGE=([bot-runtime]=$BOT_IMAGE [operator]=$OPERATOR_IMAGE)

build_one() {
  local name=$1 start=$SECONDS
  local dockerfile="$REPO_ROOT/${DOCKERFILE[$name]}"
  [[ -f $dockerfile ]] || die "$dockerfile does not exist yet"
  log "podman build ${IMAGE[$name]} from ${DOCKERFILE[$name]}"
  # chroot isolation + host network: RUN steps (npm ci) reach the npm registry without a CNI
  # network or a nested runtime. Both base build args are passed; a Dockerfile uses its own.
  # RUN steps get 1024 open files by default, and npm ci fails with EMFILE on some machines with
  # that: give them this shell's hard limit (podman may not raise it further).
  local nofile
  nofile=$(ulimit -Hn)
  [[ $nofile == unlimited || $nofile -gt 65536 ]] && nofile=65536
  podman_local build --isolation chroot --network host --layers --ulimit "nofile=$nofile:$nofile" \
    --ignorefile "$IMAGES_SRC/context.dockerignore" \
    --build-arg "NODE_IMAGE=$BASE_IMAGE" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -f "$dockerfile" -t "${IMAGE[$name]}" "$REPO_ROOT" >"$IMAGES_CACHE/build-$name.log" 2>&1 ||
    { tail -n 30 "$IMAGES_CACHE/build-$name.log" >&2; die "podman build of $name failed (log: $IMAGES_CACHE/build-$name.log)"; }
  mkdir -p "$EXPORT_DIR"
  rm -f "$EXPORT_DIR/$name.tar"
  podman_local save -q --format docker-archive -o "$EXPORT_DIR/$name.tar" "${IMAGE[$name]}"
  log "built ${IMAGE[$name]} in $((SECONDS - start))s ($(du -h "$EXPORT_DIR/$name.tar" | cut -f1) exported)"
}

main() {
  ensure_packages real-node images # podman, debootstrap, runc, busybox-static (testenv/packages.txt)
  trap release_podman_storage EXIT
  local names=("$@")
  [[ ${#names[@]} -eq 0 ]] && names=(bot-runtime operator)
  bash "$IMAGES_SRC/base.sh"
  local n
  for n in "${names[@]}"; do
    [[ -n ${DOCKERFILE[$n]:-} ]] || die "unknown image '$n' (known: ${!DOCKERFILE[*]})"
    build_one "$n"
  done
  bash "$IMAGES_SRC/import.sh" "${names[@]}"
}

main "$@"
