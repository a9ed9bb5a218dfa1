#!/usr/bin/env bash

# Copyright The wardle-apiserver Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

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
