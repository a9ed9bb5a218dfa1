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

# Builds kube-apiserver from the Go module proxy (the separate module in
# hack/tools/kube-apiserver) and caches it under _output, keyed by version.
# Prints the binary's path. A cold build takes 10-15 minutes on 2 cores; a
# warm one returns at once.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS="${ROOT}/hack/tools/kube-apiserver"
VERSION="$(cd "${TOOLS}" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
OUT="${ROOT}/_output/kube-apiserver/${VERSION}/kube-apiserver"

if [[ -x "${OUT}" ]] && "${OUT}" --version 2>/dev/null | grep -qx "Kubernetes ${VERSION}"; then
    echo "${OUT}"
    exit 0
fi

minor="$(echo "${VERSION}" | cut -d. -f2)"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

echo "Building kube-apiserver ${VERSION} (10-15 minutes when nothing is cached)..." >&2
mkdir -p "$(dirname "${OUT}")"
start=$(date +%s)
(cd "${TOOLS}" && go build -ldflags "${ldflags}" -o "${OUT}.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
mv "${OUT}.tmp" "${OUT}"
echo "Built ${OUT} in $(( $(date +%s) - start ))s" >&2
echo "${OUT}"
