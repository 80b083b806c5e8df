#!/usr/bin/env bash
# rootfs-to-image.sh ROOTFS_DIR NAME:TAG OUT.tar ENTRYPOINT_JSON [USER] [CMD_JSON]
# (ENTRYPOINT_JSON / CMD_JSON: a JSON array, or null; IMAGE_ENV: extra "K=V" words for Env)
# Packs a root filesystem folder into a one-layer docker-archive tarball (the format
# `ctr images import` and `podman load` read) without Docker, a registry or a daemon.
# Reproducible: sorted entries, mtime 0, numeric root ownership.
set -euo pipefail
rootfs=$1 ref=$2 out=$3 entrypoint=$4 user=${5:-} cmd=${6:-null}
env_json='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
for kv in ${IMAGE_ENV:-}; do env_json+=",\"$kv\""; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/$layer_sha"
mv "$work/layer.tar" "$work/$layer_sha/layer.tar"
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":[$env_json],"Entrypoint":$entrypoint,"Cmd":$cmd,"User":"$user","WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer_sha"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"images/rootfs-to-image.sh"}]}
JSON
config_sha=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$config_sha.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' "$config_sha" "$ref" "$layer_sha" >"$work/manifest.json"
tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out" manifest.json "$config_sha.json" "$layer_sha"
