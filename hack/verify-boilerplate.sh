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

# Fails when a hand-written file of the repository lacks the license header
# of hack/boilerplate.go.txt: Go files (generated ones carry it too, from the
# code generators) and shell scripts, which carry it as # comments after
# the shebang line. Only files git tracks or would track are checked.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"

# The header's lines without comment markers, the copyright line included.
mapfile -t HEADER < <(sed -e '/^\/\*$/d' -e '/^\*\/$/d' hack/boilerplate.go.txt)

# has_header <file>: every line of the header within the file's first 30
# lines (after whatever comment marker the language uses).
has_header() {
    local text want
    text="$(head -n 30 "$1")"
    for want in "${HEADER[@]}"; do
        [[ -z "${want// /}" ]] && continue
        grep -qF -- "${want}" <<<"${text}" || return 1
    done
}

missing=()
while IFS= read -r -d '' file; do
    has_header "${file}" || missing+=("${file}")
done < <(git ls-files -z --cached --others --exclude-standard -- '*.go' '*.sh' .ci/run)

if ((${#missing[@]} > 0)); then
    echo "These files lack the license header of hack/boilerplate.go.txt:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
echo "every Go file and script carries the license header"
