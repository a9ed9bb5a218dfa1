#!/usr/bin/env bash
# Builds the etcd server at the version k8s.io/apiserver requires (the one in
# go.mod) from the Go module proxy, for the fault tests that run etcd as a
# process of its own (outages, a 3-member cluster). Caches it under _output,
# keyed by version, and prints the binary's path.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"
VERSION="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
OUT="${ROOT}/_output/etcd/${VERSION}/etcd"

if [[ -x "${OUT}" ]] && "${OUT}" --version 2>/dev/null | grep -qx "etcd Version: ${VERSION#v}"; then
    echo "${OUT}"
    exit 0
fi
echo "Building etcd ${VERSION}..." >&2
mkdir -p "$(dirname "${OUT}")"
go build -o "${OUT}.tmp" go.etcd.io/etcd/server/v3
mv "${OUT}.tmp" "${OUT}"
echo "${OUT}"
