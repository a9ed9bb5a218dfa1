#!/usr/bin/env bash
# Fails when the committed generated code differs from what
# hack/update-codegen.sh produces now. It regenerates into a scratch copy of
# the tree, so the working tree is never touched.

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

status=0
for path in apis pkg/generated hack/api-rules; do
    if ! diff -Naupr "${ROOT}/${path}" "${SCRATCH}/${path}"; then
        status=1
    fi
done
if [[ ${status} -ne 0 ]]; then
    echo "Generated code is out of date. Run hack/update-codegen.sh and commit the result." >&2
    exit 1
fi
echo "Generated code is up to date."
