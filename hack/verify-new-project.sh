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

# Checks hack/new-project.sh end to end. It makes a project with another
# module path, API group and binary name in a scratch directory, then checks
# there that:
#   - no file and no path says wardle any more, and the new names are where
#     they belong (module, etcd prefix, lint config);
#   - the generated code is what the copy's code generators make;
#   - make build makes the renamed server and controller;
#   - the renamed server starts, serves the new group to the renamed admin,
#     stores under the new etcd prefix and stops cleanly on SIGTERM;
#   - the copy's unit and integration tests pass.
# The scratch directory is removed at the end unless KEEP=1.

set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# This project's short name and group. A copy made by new-project.sh has its
# own here, so that the copy can check its own new-project.sh.
CURRENT_SHORT="wardle"
CURRENT_GROUP="wardle.example.com"
CURRENT_BINARY="wardle-apiserver"
CURRENT_MODULE="github.com/wardle-example/wardle-apiserver"

# The new project's names: unlike any in this repository. In a copy that
# already took them, the second set.
if [[ "${CURRENT_SHORT}" != widgets ]]; then
    NEW_MODULE="example.com/acme/widget-server" NEW_GROUP="widgets.acme.io" NEW_BINARY="widget-server"
else
    NEW_MODULE="example.org/zeta/gadget-server" NEW_GROUP="gadgets.zeta.dev" NEW_BINARY="gadget-server"
fi
NEW_SHORT="${NEW_GROUP%%.*}"

# Files that may still say the old name, each with the reason. None so far:
# everything is text new-project.sh renames but docs/performance.png, whose
# bytes do not hold the name (its plot labels, which still name the old
# project until make bench redraws it, are pixels).
ALLOWED_OLD_NAME=()

WORK="$(mktemp -d -t verify-new-project.XXXXXX)"
COPY="${WORK}/project"
SERVER_PID=""

cleanup() {
    if [[ -n "${SERVER_PID}" ]] && kill -0 "${SERVER_PID}" 2>/dev/null; then
        kill -KILL "${SERVER_PID}" 2>/dev/null || true
        wait "${SERVER_PID}" 2>/dev/null || true
    fi
    if [[ "${KEEP:-}" == 1 ]]; then
        echo "KEEP=1: the new project and the server's data are in ${WORK}"
    else
        rm -rf "${WORK}"
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Each phase's wall time, reported at the end.
TIMINGS=()
phase() { # phase <name> <function>
    local start=${SECONDS}
    echo
    echo "=== $1"
    "$2"
    TIMINGS+=("$(printf '%-18s %4ds' "$1" $((SECONDS - start)))")
}

make_project() {
    "${ROOT}/hack/new-project.sh" --module "${NEW_MODULE}" --group "${NEW_GROUP}" --out "${COPY}" --binary "${NEW_BINARY}"
}

allowed() { # allowed <path>: listed in ALLOWED_OLD_NAME
    local a
    for a in "${ALLOWED_OLD_NAME[@]+"${ALLOWED_OLD_NAME[@]}"}"; do [[ "$1" == "${a}" ]] && return 0; done
    return 1
}

# any_spelling <name>: an extended regular expression for the name's words
# with any of - _ . / \ (one or two) between them.
any_spelling() {
    local sep='[-_./\\]{1,2}' words word out=""
    read -ra words <<<"${1//[^A-Za-z0-9]/ }"
    for word in "${words[@]}"; do out+="${out:+${sep}}${word}"; done
    echo "${out}"
}

# project_files: the new project's files, NUL-separated: what its git
# would track. Not .git, _output (the code generators) or bin: the server
# binary holds k8s.io/component-base's help for --feature-gates, whose
# example names the upstream sample API, this project's ancestor.
project_files() {
    git -C "${COPY}" ls-files -z --cached --others --exclude-standard
}

# no_old_name: no file (binary files too) and no path says the old short
# name, in any case.
no_old_name() {
    local found=() f
    while IFS= read -r f; do
        allowed "${f}" || found+=("${f}")
    done < <(cd "${COPY}" && { project_files | xargs -0 grep -lia -e "${CURRENT_SHORT}" || true; })
    while IFS= read -r f; do
        found+=("path: ${f}")
    done < <(project_files | tr '\0' '\n' | grep -i -e "${CURRENT_SHORT}" || true)
    if ((${#found[@]} > 0)); then
        printf '  %s\n' "${found[@]}" >&2
        fail "these files of the new project still say ${CURRENT_SHORT} (case-insensitive)"
    fi
    echo "no file and no path says ${CURRENT_SHORT}"
}

# none_half_renamed: a spelling of an old name that new-project.sh has no
# rule for comes out half renamed, the new short name with the rest of the
# old name (a jsonpath with the group's dots escaped once did). Looks for
# each old name in any spelling: the short name replaced, any separators
# between its words.
none_half_renamed() {
    local patterns=() name
    for name in "${CURRENT_GROUP}" "${CURRENT_BINARY}" "${CURRENT_MODULE}"; do
        patterns+=(-e "$(any_spelling "${name//"${CURRENT_SHORT}"/"${NEW_SHORT}"}")")
    done
    if (cd "${COPY}" && project_files | xargs -0 grep -nEa "${patterns[@]}") >&2; then
        fail "the lines above hold an old name half renamed: new-project.sh needs a rule for that spelling"
    fi
    echo "no old name is left half renamed"
}

# new_names_in_place: the new names where they belong.
new_names_in_place() {
    local dir
    [[ "$(cd "${COPY}" && GOWORK=off go list -m)" == "${NEW_MODULE}" ]] || fail "the copy's module is not ${NEW_MODULE}"
    for dir in "apis/${NEW_SHORT}/v1beta1" "cmd/${NEW_BINARY}" "cmd/${NEW_SHORT}-controller" "pkg/registry/${NEW_SHORT}/flunder"; do
        [[ -d "${COPY}/${dir}" ]] || fail "the copy has no ${dir}"
    done
    # The etcd prefix in source as well: the smoke test finds the key only
    # as long as etcd's write-ahead log is where it looks.
    grep -rqF "\"/registry/${NEW_GROUP}\"" "${COPY}/pkg/cmd/server" || fail "the copy's default etcd prefix is not /registry/${NEW_GROUP}"
    grep -qxF -- "        - ${NEW_MODULE}" "${COPY}/.golangci.yaml" || fail "the copy's .golangci.yaml does not take ${NEW_MODULE} as its local import prefix"
    grep -qF "Copyright The ${NEW_BINARY} Authors." "${COPY}/hack/boilerplate.go.txt" || fail "the copy's license header does not name ${NEW_BINARY}"
    echo "the module, directories, etcd prefix, lint config and license header carry the new names"
}

check_names() {
    no_old_name
    none_half_renamed
    new_names_in_place
}

check_codegen() {
    "${COPY}/hack/verify-codegen.sh"
}

check_build() {
    make -C "${COPY}" build
    local b
    for b in "${NEW_BINARY}" "${NEW_SHORT}-controller"; do
        [[ -x "${COPY}/bin/${b}" ]] || fail "make build made no bin/${b}"
    done
    echo "make build made bin/${NEW_BINARY} and bin/${NEW_SHORT}-controller"
}

# kc: kubectl as the new project's admin, with a discovery cache of its own.
kc() {
    kubectl --kubeconfig "${WORK}/data/admin.kubeconfig" --cache-dir "${WORK}/kube-cache" --request-timeout=10s "$@"
}

# start_server: the server on a free loopback port, data in WORK/data. A
# port that looks free may be taken before the server binds it; then the
# server exits at once and another port is tried.
start_server() {
    local port _
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        # A refused connection: nothing listens there.
        if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then continue; fi
        "${COPY}/bin/${NEW_BINARY}" --data-dir "${WORK}/data" --bind-address 127.0.0.1 --secure-port "${port}" \
            >"${WORK}/server.log" 2>&1 &
        SERVER_PID=$!
        if wait_ready; then
            echo "${NEW_BINARY} is ready on 127.0.0.1:${port} (pid ${SERVER_PID})"
            return 0
        fi
        grep -q 'address already in use' "${WORK}/server.log" || break
    done
    tail -n 40 "${WORK}/server.log" >&2
    fail "${NEW_BINARY} did not become ready"
}

# wait_ready: polls /readyz as the admin until it passes, the server exits,
# or a minute has passed.
wait_ready() {
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        kill -0 "${SERVER_PID}" 2>/dev/null || { wait "${SERVER_PID}" || true; SERVER_PID=""; return 1; }
        if [[ -f "${WORK}/data/admin.kubeconfig" ]] && kc get --raw /readyz >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

expect() { # expect <what> <got> <want>
    [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
    echo "$1: $2"
}

# stop_server: SIGTERM, then the server must exit 0 within a minute.
stop_server() {
    local deadline=$((SECONDS + 60)) status=0
    kill -TERM "${SERVER_PID}"
    while kill -0 "${SERVER_PID}" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "${NEW_BINARY} did not exit within a minute of SIGTERM"
        sleep 0.2
    done
    wait "${SERVER_PID}" || status=$?
    SERVER_PID=""
    ((status == 0)) || { tail -n 40 "${WORK}/server.log" >&2; fail "${NEW_BINARY} exited ${status} on SIGTERM"; }
    echo "${NEW_BINARY} exited 0 on SIGTERM"
}

smoke() {
    local name key resources
    start_server
    expect "the admin kubeconfig's user" "$(kc config view -o jsonpath='{.contexts[0].context.user}')" "${NEW_SHORT}"
    expect "the admin's user name" "$(kc auth whoami -o jsonpath='{.status.userInfo.username}')" "${NEW_SHORT}-admin"
    expect "the data dir's lock" "$(cd "${WORK}/data" && ls -- *.lock)" "${NEW_BINARY}.lock"
    resources="$(kc api-resources --api-group="${NEW_GROUP}" -o name | LC_ALL=C sort | paste -sd ' ')"
    expect "kubectl api-resources --api-group=${NEW_GROUP}" "${resources}" "fischers.${NEW_GROUP} flunders.${NEW_GROUP}"
    expect "kubectl api-resources --api-group=${CURRENT_GROUP}" "$(kc api-resources --api-group="${CURRENT_GROUP}" -o name)" ""

    # The example manifest of the copy, renamed with it.
    name="$(kc create -f "${COPY}/artifacts/examples/flunder-v1beta1.yaml" -o jsonpath='{.metadata.name}')"
    expect "the creator annotation" "$(kc get flunder "${name}" -o "jsonpath={.metadata.annotations.${NEW_GROUP//./\\.}/created-by}")" "${NEW_SHORT}-admin"
    # etcd writes every key to its write-ahead log before it answers, and
    # the key is there verbatim: --etcd-prefix, then group, resource,
    # namespace, name.
    key="/registry/${NEW_GROUP}/${NEW_GROUP}/flunders/default/${name}"
    grep -qaF -- "${key}" "${WORK}"/data/etcd/member/wal/*.wal || fail "no key ${key} in the embedded etcd's write-ahead log"
    echo "etcd holds the flunder as ${key}"
    stop_server
}

# run_tests: the copy's unit and integration tests. Without -race by
# default (COPY_TESTFLAGS overrides): the race detector already runs over
# this very code, under the old names, in make test; here the question is
# whether the renamed copy works, and the race build of every renamed
# package would cost CI minutes for no new answer.
run_tests() {
    make -C "${COPY}" test-unit test-integration TESTFLAGS="${COPY_TESTFLAGS:--count=1 -timeout 20m}"
}

main() {
    local total=${SECONDS}
    echo "Making a project in ${COPY}: module ${NEW_MODULE}, group ${NEW_GROUP}, binary ${NEW_BINARY}"
    phase "new-project.sh" make_project
    phase "names" check_names
    phase "verify-codegen" check_codegen
    phase "make build" check_build
    phase "smoke" smoke
    phase "unit+integration" run_tests
    echo
    echo "hack/new-project.sh works: the new project builds, serves ${NEW_GROUP} and passes its unit and integration tests."
    printf '  %s\n' "${TIMINGS[@]}" "$(printf '%-18s %4ds' total $((SECONDS - total)))"
}

main "$@"
