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

# Fails when the committed generated code differs from what
# hack/update-codegen.sh produces now. It regenerates into a scratch copy of
# the sources, so no source file of the working tree is touched; the
# generators it builds are kept under _output/codegen for the next run.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SCRATCH="$(mktemp -d -t verify-codegen.XXXXXX)"
trap 'rm -rf "${SCRATCH}"' EXIT

# Copy the sources (not _output, bin or the data dir); keep the generator
# cache so a second run does not rebuild the generators.
tar -C "${ROOT}" --exclude=./.git --exclude=./_output --exclude=./bin --exclude=./.wardle -cf - . | tar -C "${SCRATCH}" -xf -
mkdir -p "${ROOT}/_output/codegen"
ln -s "${ROOT}/_output" "${SCRATCH}/_output"

"${SCRATCH}/hack/update-codegen.sh"

# Compare every generated file, in either tree: the zz_generated and protobuf
# files next to the types, all of pkg/generated, and the API rule report.
generated_files() {
    (cd "$1" && find apis -name 'zz_generated.*' -o -name 'generated.pb.go' -o -name 'generated.proto' && find pkg/generated hack/api-rules -type f) 2>/dev/null
}
status=0
while read -r file; do
    if ! diff -Nau "${ROOT}/${file}" "${SCRATCH}/${file}"; then
        status=1
    fi
done < <( { generated_files "${ROOT}"; generated_files "${SCRATCH}"; } | LC_ALL=C sort -u)
if [[ ${status} -ne 0 ]]; then
    echo "Generated code is out of date. Run hack/update-codegen.sh and commit the result." >&2
    exit 1
fi
echo "Generated code is up to date."
