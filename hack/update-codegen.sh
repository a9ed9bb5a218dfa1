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

# Regenerates every generated file of the project with k8s.io/code-generator's
# kube_codegen.sh, at the code-generator version pinned in go.mod:
#   apis/**/zz_generated.{deepcopy,conversion,defaults,model_name}.go
#   pkg/generated/openapi           OpenAPI definitions (served, and used by SSA)
#   pkg/generated/applyconfiguration apply configurations
#   pkg/generated/clientset         typed clientset (with watch and apply)
#   pkg/generated/listers, pkg/generated/informers
#   apis/wardle/*/generated.{proto,pb.go} protobuf (go-to-protobuf; installs protoc if missing)
#
# Set UPDATE_API_KNOWN_VIOLATIONS=true to rewrite hack/api-rules/violation_exceptions.list.
#
# apis/ and pkg/generated/ are Go modules of their own; the root module
# requires both and replaces them with these directories, so the generators,
# run from the root, load the API packages by import path as before. Only
# the client generators run inside the apis module (see gen_client below).

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"

MODULE="$(go list -m)"
go mod download k8s.io/code-generator
CODEGEN_PKG="$(go list -m -f '{{.Dir}}' k8s.io/code-generator)"

# Install the generators in the project's own bin dir, keyed by version, so
# they never mix with other projects' generators in GOPATH/bin.
GOBIN="${ROOT}/_output/codegen/$(go list -m -f '{{.Version}}' k8s.io/code-generator)"
mkdir -p "${GOBIN}"
export GOBIN

# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

BOILERPLATE="${ROOT}/hack/boilerplate.go.txt"
REPORT="${ROOT}/hack/api-rules/violation_exceptions.list"

kube::codegen::gen_helpers \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/apis"

kube::codegen::gen_openapi \
    --output-dir "${ROOT}/pkg/generated/openapi" \
    --output-pkg "${MODULE}/pkg/generated/openapi" \
    --output-model-name-file "zz_generated.model_name.go" \
    --report-filename "${REPORT}" \
    ${UPDATE_API_KNOWN_VIOLATIONS:+"--update-report"} \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/apis"

# Protobuf, for the wire and for storage. kube_codegen.sh has no function for
# it, so run go-to-protobuf the way Kubernetes does. It wants protoc, its
# protoc-gen-gogo plugin and goimports on the PATH, and a GOPATH-shaped tree
# in which every .proto import resolves: this module, apimachinery (whose
# types the wardle types embed) and gogo's extensions, each linked in under
# its import path.
if ! command -v protoc >/dev/null 2>&1; then
    echo "Installing protoc (Debian package protobuf-compiler)"
    sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
    ${sudo} apt-get install -y -q protobuf-compiler >/dev/null || { ${sudo} apt-get update -q >/dev/null && ${sudo} apt-get install -y -q protobuf-compiler >/dev/null; }
fi
(
    cd "${CODEGEN_PKG}"
    go install ./cmd/go-to-protobuf ./cmd/go-to-protobuf/protoc-gen-gogo
    GOFLAGS=-mod=mod go install "golang.org/x/tools/cmd/goimports@$(go list -m -f '{{.Version}}' golang.org/x/tools)"
)
WORK="$(mktemp -d -t wardle-codegen.XXXXXX)"
trap 'rm -rf "${WORK}"' EXIT
PROTO_TREE="${WORK}/proto"
mkdir -p "${PROTO_TREE}"
link_module() { # link_module <import path> <directory>
    mkdir -p "${PROTO_TREE}/$(dirname "$1")"
    ln -s "$2" "${PROTO_TREE}/$1"
}
link_module "${MODULE}" "${ROOT}"
link_module k8s.io/apimachinery "$(go list -m -f '{{.Dir}}' k8s.io/apimachinery)"
link_module github.com/gogo/protobuf "$(cd "${CODEGEN_PKG}" && go mod download -json github.com/gogo/protobuf | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
echo "Generating protobuf code for 2 targets"
PATH="${GOBIN}:${PATH}" "${GOBIN}/go-to-protobuf" \
    --go-header-file "${BOILERPLATE}" \
    --output-dir "${PROTO_TREE}" \
    --proto-import "${PROTO_TREE}" \
    --proto-import /usr/include \
    --packages "${MODULE}/apis/wardle/v1alpha1,${MODULE}/apis/wardle/v1beta1" \
    --apimachinery-packages "-k8s.io/apimachinery/pkg/util/intstr,-k8s.io/apimachinery/pkg/api/resource,-k8s.io/apimachinery/pkg/runtime/schema,-k8s.io/apimachinery/pkg/runtime,-k8s.io/apimachinery/pkg/apis/meta/v1"

# The schema of the types, from the OpenAPI definitions generated above,
# for applyconfiguration-gen. models-schema is in the root module.
MODELS_SCHEMA="${WORK}/models-schema.json"
go run ./hack/models-schema > "${MODELS_SCHEMA}"

# client-gen gets its input as a directory (kube_codegen.sh passes the apis
# dir as --input-base), and go list resolves a directory only inside the
# main module: run the client generators from the apis module, whose module
# graph has everything they load. Their output goes to pkg/generated as
# before.
(
    cd "${ROOT}/apis"
    kube::codegen::gen_client \
        --with-watch \
        --with-applyconfig \
        --prefers-protobuf \
        --applyconfig-openapi-schema "${MODELS_SCHEMA}" \
        --output-dir "${ROOT}/pkg/generated" \
        --output-pkg "${MODULE}/pkg/generated" \
        --boilerplate "${BOILERPLATE}" \
        "${ROOT}/apis"
)
