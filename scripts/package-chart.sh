#!/usr/bin/env bash
# Part of `npm run build`: packages charts/chatfleet into dist/charts/chatfleet-<version>.tgz
# (dist/ is git-ignored; never commit the archive). Lints strictly first, so a broken chart never
# becomes an archive. HELM overrides the helm binary (the test env exports it in .testenv/env).
set -euo pipefail
cd "$(dirname "$0")/.."
# The image builds (operator/Dockerfile, bot-runtime/Dockerfile) run `npm run build` with only
# operator/, bot-runtime/, scripts/ and console/ in the context: no chart there, so nothing to package.
if [[ ! -f charts/chatfleet/Chart.yaml ]]; then
  echo "package-chart: no charts/chatfleet in this tree (an image build): no chart archive"
  exit 0
fi
helm=${HELM:-helm}
command -v "$helm" >/dev/null || { echo "package-chart: helm not found (install Helm 3 or set HELM)" >&2; exit 1; }
# --kube-version: Chart.yaml's kubeVersion (>= 1.30); a helm built from source defaults to 1.20.
"$helm" lint --strict --kube-version 1.36.0 charts/chatfleet
mkdir -p dist/charts
"$helm" package charts/chatfleet --destination dist/charts
