#!/usr/bin/env bash
# Regenerates every generated file of the project with k8s.io/code-generator's
# kube_codegen.sh, at the code-generator version pinned in go.mod:
#   apis/**/zz_generated.{deepcopy,conversion,defaults,model_name}.go
#   pkg/generated/openapi           OpenAPI definitions (served, and used by SSA)
#   pkg/generated/applyconfiguration apply configurations
#   pkg/generated/clientset         typed clientset (with watch and apply)
#   pkg/generated/listers, pkg/generated/informers
#
# Set UPDATE_API_KNOWN_VIOLATIONS=true to rewrite hack/api-rules/violation_exceptions.list.

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

kube::codegen::gen_client \
    --with-watch \
    --with-applyconfig \
    --applyconfig-openapi-schema <(go run ./hack/models-schema) \
    --output-dir "${ROOT}/pkg/generated" \
    --output-pkg "${MODULE}/pkg/generated" \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/apis"
