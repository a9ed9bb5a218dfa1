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

# Follows docs/adding-a-kind.md on a scratch copy of the repository (the files
# git knows of, uncommitted changes included): adds the kind Wug, generates the
# code, builds, runs the new kind's unit, integration and e2e tests, starts the
# server and drives Wugs with kubectl. Fails when the page and the code drift
# apart. KEEP=1 keeps the scratch copy.
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

go test -tags addingakind -count=1 -timeout 45m -v ./test/addingakind/ -run '^TestAddingAKind$'
