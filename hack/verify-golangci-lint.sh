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

# Runs golangci-lint, with the repository's .golangci.yaml, over every Go
# module of the repository (hack/tools/kube-apiserver aside: it only pins a
# build). The linter is built from the Go module proxy at the version pinned
# here, into _output/tools (a minute or two the first time), so every
# machine runs the same one.

set -o errexit
set -o nounset
set -o pipefail

GOLANGCI_LINT_VERSION="v2.15.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"
export GOWORK=off

TOOLS="${ROOT}/_output/tools/golangci-lint-${GOLANGCI_LINT_VERSION}"
LINT="${TOOLS}/golangci-lint"
if [[ ! -x "${LINT}" ]]; then
    echo "building golangci-lint ${GOLANGCI_LINT_VERSION} into ${TOOLS}"
    GOBIN="${TOOLS}" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${GOLANGCI_LINT_VERSION}"
fi

MODULES=(. apis pkg/generated test/launcher examples/client test/controllerruntime test/bench)
failed=()
for mod in "${MODULES[@]}"; do
    echo "--- golangci-lint ${mod}"
    if ! (cd "${mod}" && "${LINT}" run --allow-parallel-runners --config "${ROOT}/.golangci.yaml" ./...); then
        failed+=("${mod}")
    fi
done
if ((${#failed[@]} > 0)); then
    echo "golangci-lint found problems in: ${failed[*]}" >&2
    exit 1
fi
