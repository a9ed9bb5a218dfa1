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

# Checks the modules that others import or that show how to: the API types
# (apis), the generated clients (pkg/generated), the launcher that starts
# the server binary for the consumers' tests (test/launcher), and the two
# consumers of them in this repository (examples/client,
# test/controllerruntime). Each must be a module a controller author can
# depend on as it is:
#   - go mod tidy leaves its go.mod and go.sum unchanged;
#   - go build ./..., go vet ./... and go list -m all succeed;
#   - neither k8s.io/kubernetes nor the server's module
#     (github.com/wardle-example/wardle-apiserver) is in its module graph;
#   - every replace directive points at a directory of this checkout.
# The working tree is left as it was.

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SERVER_MODULE="$(cd "${ROOT}" && go list -m)"
MODULES=(apis pkg/generated test/launcher examples/client test/controllerruntime)
# Never a go.work from outside: each module must stand on its own.
export GOWORK=off

SCRATCH="$(mktemp -d -t verify-consumers.XXXXXX)"
trap 'rm -rf "${SCRATCH}"' EXIT

failures=()
fail() { # fail <module> <message>
    echo "FAIL: $1: $2" >&2
    failures+=("$1: $2")
}

# replace_lines <go.mod> prints each replace directive as "old [version] =>
# new [version]", from the canonical form go mod edit -print gives.
replace_lines() {
    go mod edit -print "$1" | awk '
        /^replace \($/ { block = 1; next }
        block && /^\)/ { block = 0; next }
        block { print; next }
        /^replace / { sub(/^replace /, ""); print }'
}

# run <module> <command...>: runs the command in the module's dir and
# records a failure, with its output, if it fails.
run() {
    local mod="$1"; shift
    local out
    if ! out="$(cd "${ROOT}/${mod}" && "$@" 2>&1)"; then
        fail "${mod}" "$* failed"
        tail -n 40 <<<"${out}" >&2
        return 1
    fi
}

for mod in "${MODULES[@]}"; do
    dir="${ROOT}/${mod}"
    echo "--- ${mod}"
    if [[ ! -f "${dir}/go.mod" ]]; then
        fail "${mod}" "no go.mod"
        continue
    fi

    # go mod tidy must change nothing. The originals are put back either way.
    saved="${SCRATCH}/${mod}"
    mkdir -p "${saved}"
    cp "${dir}/go.mod" "${dir}/go.sum" "${saved}/"
    if run "${mod}" go mod tidy; then
        for f in go.mod go.sum; do
            if ! diff -u "${saved}/${f}" "${dir}/${f}" >&2; then
                fail "${mod}" "go mod tidy changes ${f} (diff above)"
            fi
        done
    fi
    cp "${saved}/go.mod" "${saved}/go.sum" "${dir}/"

    # -o /dev/null: examples/client is a command; build no binary in the tree.
    run "${mod}" go build -o /dev/null ./... || true
    run "${mod}" go vet ./... || true
    if run "${mod}" go list -m all; then
        modules="$(cd "${dir}" && go list -m -f '{{.Path}}' all)"
        for forbidden in k8s.io/kubernetes "${SERVER_MODULE}"; do
            if grep -Fxq "${forbidden}" <<<"${modules}"; then
                fail "${mod}" "${forbidden} is in its module graph (go mod why -m ${forbidden})"
            fi
        done
    fi

    # Replacements must be local directories of this checkout. A directory
    # replacement has no version on its right; anything else replaces a
    # module with another module.
    while read -r line; do
        line="${line%%//*}"
        [[ "${line}" == *" => "* ]] || continue
        old="${line%% => *}"
        read -r new version <<<"${line#* => }"
        if [[ -n "${version:-}" || ! ( "${new}" == ./* || "${new}" == ../* || "${new}" == /* ) ]]; then
            fail "${mod}" "replace ${old} => ${new} ${version:-} is not a local path"
            continue
        fi
        target="$(cd "${dir}" && cd "${new}" 2>/dev/null && pwd -P)" || {
            fail "${mod}" "replace ${old} => ${new}: no such directory"
            continue
        }
        if [[ "${target}" != "${ROOT}" && "${target}" != "${ROOT}/"* ]]; then
            fail "${mod}" "replace ${old} => ${new} points outside this repository (${target})"
        fi
    done < <(replace_lines "${dir}/go.mod")
done

if [[ ${#failures[@]} -ne 0 ]]; then
    echo >&2
    echo "Consumer-facing modules are not clean:" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "Consumer-facing modules are clean: ${MODULES[*]}"
