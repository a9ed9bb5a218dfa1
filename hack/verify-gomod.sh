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

# Fails when go mod tidy would change the go.mod or go.sum of any module of
# the repository (every go.mod outside _output). go mod tidy -diff prints the
# change and leaves the files alone.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"
# Each module on its own, never through a go.work from outside.
export GOWORK=off

failed=()
while IFS= read -r gomod; do
    dir="$(dirname "${gomod}")"
    if ! (cd "${dir}" && go mod tidy -diff); then
        failed+=("${dir}")
    fi
done < <(git ls-files --cached --others --exclude-standard -- 'go.mod' '*/go.mod')

if ((${#failed[@]} > 0)); then
    echo "go mod tidy would change these modules (run it there):" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "go mod tidy changes no module"
