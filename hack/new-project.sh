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

# Starts a project of your own from this one: copies the repository into a
# new directory with another Go module path, API group and binary name, and
# regenerates the generated code there. The Flunder and Fischer kinds stay,
# as the worked example to edit or delete. Run with --help for the flags.
#
# Every name the project carries is derived from four values below (the
# module, the group, the binary and the group's short name), so a copy made
# by this script can make further copies the same way.

set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# What this project is called now.
OLD_MODULE="github.com/wardle-example/wardle-apiserver"
OLD_GROUP="wardle.example.com"
OLD_BINARY="wardle-apiserver"
OLD_SHORT="wardle" # the group's first label: the Go package apis/wardle

usage() {
    cat <<EOF
Usage: hack/new-project.sh --module <go module path> --group <api group> --out <new directory> [--binary <name>]

Copies this repository into <new directory> as a project of your own:
the Go module path, the API group, the binary, image and directory names,
the etcd prefix, the admin kubeconfig's user and the docs are renamed, and
the generated code is regenerated. The kinds Flunder and Fischer stay as
the worked example to edit or delete.

  --module  the new Go module path, such as example.com/acme/widget-server
  --group   the new API group, a DNS subdomain with at least one dot, such as
            widgets.acme.io. Its first label (widgets) is the short name: the
            Go package apis/<short>, the namespace and data dir names, and
            the controller binary <short>-controller
  --out     the new directory; it must not exist or be empty, and must be
            outside this repository
  --binary  the server binary and image name (default <short>-apiserver)

Flags may be given as --flag value or --flag=value.
EOF
}

die_usage() { # die_usage <message>: a mistake in the command line
    echo "new-project: $1" >&2
    echo >&2
    usage >&2
    exit 2
}

die() { # die <message>: a flag's value that cannot be used
    echo "new-project: $1" >&2
    exit 2
}

fail() { # fail <message>: a step that failed
    echo "new-project: $1" >&2
    exit 1
}

step() { echo "==> [${SECONDS}s] $*"; }

# --- flags ------------------------------------------------------------------

MODULE="" GROUP="" OUT="" BINARY=""

parse_flags() {
    local flag value
    while (($# > 0)); do
        flag="$1"
        case "${flag}" in
            -h | --help) usage; exit 0 ;;
            --module=* | --group=* | --out=* | --binary=*)
                value="${flag#*=}"; flag="${flag%%=*}"; shift ;;
            --module | --group | --out | --binary)
                (($# >= 2)) || die_usage "${flag} needs a value"
                value="$2"; shift 2 ;;
            *) die_usage "unknown argument: ${flag}" ;;
        esac
        case "${flag}" in
            --module) MODULE="${value}" ;;
            --group) GROUP="${value}" ;;
            --out) OUT="${value}" ;;
            --binary) BINARY="${value}" ;;
        esac
    done
    [[ -n "${MODULE}" ]] || die_usage "--module is required"
    [[ -n "${GROUP}" ]] || die_usage "--group is required"
    [[ -n "${OUT}" ]] || die_usage "--out is required"
}

# --- validation -------------------------------------------------------------

GO_KEYWORDS=" break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var "
# Predeclared identifiers: a package of one of these names would shadow it.
GO_PREDECLARED=" any append bool byte cap clear close comparable complex complex64 complex128 copy delete error false float32 float64 imag int int8 int16 int32 int64 iota len make max min new nil panic print println real recover rune string true uint uint8 uint16 uint32 uint64 uintptr "

validate_module() {
    local elements element parts part i
    [[ "${MODULE}" != "${OLD_MODULE}" ]] || die "--module ${MODULE} is this project's own module path; give the new one"
    [[ "${MODULE}" =~ ^[^[:space:]]+$ ]] || die "--module '${MODULE}' contains white space"
    [[ "${MODULE}" != */ ]] || die "--module ${MODULE} ends with a slash"
    IFS=/ read -ra elements <<<"${MODULE}"
    for i in "${!elements[@]}"; do
        element="${elements[i]}"
        [[ -n "${element}" ]] || die "--module ${MODULE} has an empty path element"
        # Go reserves paths whose first element has no dot for the standard
        # library, and wants that element lower-case: it is a domain name.
        if ((i == 0)) && ! [[ "${element}" =~ ^[a-z0-9-]+(\.[a-z0-9-]+)+$ ]]; then
            die "--module ${MODULE}: the first path element must be a lower-case domain name with a dot, such as example.com"
        fi
        # The protobuf package of each API version is the import path with /
        # and . as separators and - turned into _ (go-to-protobuf), so each
        # part must be a protobuf identifier then.
        [[ "${element}" != .* && "${element}" != *. && "${element}" != *..* ]] ||
            die "--module ${MODULE}: the path element ${element} starts or ends with a dot, or has two in a row"
        IFS=. read -ra parts <<<"${element}"
        for part in "${parts[@]}"; do
            [[ "${part}" =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] ||
                die "--module ${MODULE}: '${part}' must start with a letter and hold only letters, digits, - and _ (the protobuf package names are made from the module path)"
        done
    done
}

validate_group() {
    local labels label
    [[ "${GROUP}" != "${OLD_GROUP}" ]] || die "--group ${GROUP} is this project's own API group; give the new one"
    [[ "${GROUP}" == *.* ]] || die "--group ${GROUP} needs at least one dot, such as widgets.acme.io (a group without one is Kubernetes' own)"
    [[ "${GROUP}" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$ && ${#GROUP} -le 253 ]] ||
        die "--group ${GROUP} is not a lower-case DNS subdomain: labels of a-z, 0-9 and -, each starting and ending with a letter or digit, joined by dots, at most 253 characters"
    IFS=. read -ra labels <<<"${GROUP}"
    for label in "${labels[@]}"; do
        ((${#label} <= 63)) || die "--group ${GROUP}: the label ${label} is longer than 63 characters"
    done
    # The standalone server serves Kubernetes' own groups beside its own.
    if [[ "${GROUP}" == k8s.io || "${GROUP}" == *.k8s.io || "${GROUP}" == kubernetes.io || "${GROUP}" == *.kubernetes.io ]]; then
        die "--group ${GROUP}: *.k8s.io and *.kubernetes.io are Kubernetes' own groups"
    fi
}

# first_word_in_go_code <word>...: prints "file: word" for the first of the
# words found as an identifier in the repository's Go code (comments and
# literals left out), or nothing.
first_word_in_go_code() {
    list_sources | NP_SRC="${ROOT}" NP_WORDS="$*" perl -0 -ne '
        BEGIN { our %want = map { $_ => 1 } split / /, $ENV{NP_WORDS}; our $found = 0 }
        next if $found;    # read the rest, so that the writer gets no SIGPIPE
        chomp; next unless /\.go$/;
        open(my $f, "<", "$ENV{NP_SRC}/$_") or next;
        my $code = do { local $/; <$f> };
        $code =~ s{//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|`[^`]*`|\x27(?:\\.|[^\x27\\\n])*\x27}{ }gs;
        for my $word ($code =~ /\b([A-Za-z_][A-Za-z0-9_]*)\b/g) {
            if ($want{$word}) { print "$_: $word\n"; $found = 1; last }
        }'
}

validate_short() {
    local short="$1" found
    [[ "${short}" =~ ^[a-z][a-z0-9]*$ ]] ||
        die "--group ${GROUP}: its first label '${short}' names the Go package apis/${short}, so it must be a lower-case Go identifier (a letter, then letters and digits; no -)"
    [[ "${GO_KEYWORDS}" != *" ${short} "* ]] || die "--group ${GROUP}: its first label '${short}' is a Go keyword and cannot name the Go package apis/${short}"
    [[ "${GO_PREDECLARED}" != *" ${short} "* ]] || die "--group ${GROUP}: its first label '${short}' is a predeclared Go identifier; as the package apis/${short} it would shadow it"
    # Every wardle becomes the short name: in package names, import aliases
    # (wardlev1beta1) and identifiers (WardleV1beta1, version.Wardle()). A
    # name the code already uses for something else (a package, a variable,
    # a type) would collide with it.
    [[ "${short}" != "${OLD_SHORT}" ]] || return 0
    found="$(first_word_in_go_code "${short}" "${short^}")"
    [[ -z "${found}" ]] ||
        die "--group ${GROUP}: its first label '${short}' already names something in the Go code (${found}); the package apis/${short} and the identifiers renamed to it would collide; choose a group with another first label"
}

validate_binary() {
    local short="$1"
    [[ "${BINARY}" =~ ^[a-z][a-z0-9-]*$ && "${BINARY}" != *- && ${#BINARY} -le 63 ]] ||
        die "--binary ${BINARY}: must be 1-63 of a-z, 0-9 and -, starting with a letter and not ending with - (it also names the Deployment and the image)"
    [[ "${BINARY}" != "${short}-controller" && "${BINARY}" != "${short}-bench" ]] ||
        die "--binary ${BINARY}: ${short}-controller and ${short}-bench are the project's other binaries"
}

validate_out() {
    if [[ -e "${OUT}" ]]; then
        [[ -d "${OUT}" ]] || die "--out ${OUT} exists and is not a directory"
        [[ -z "$(ls -A "${OUT}")" ]] || die "--out ${OUT} exists and is not empty"
    fi
    OUT="$(realpath -m "${OUT}")"
    # A project inside this one would be swept up by its gofmt, license and
    # go.mod checks, and its files copied into the next new project.
    [[ "${OUT}" != "${ROOT}" && "${OUT}" != "${ROOT}/"* ]] ||
        die "--out ${OUT} is inside this repository (${ROOT}); choose a directory outside it"
}

# --- copying and renaming ---------------------------------------------------

# list_sources: the files to copy, NUL-separated, relative to ROOT: what git
# tracks or would track (a developer's uncommitted work included; _output,
# bin, the data dir and generated private keys are ignored), or, outside a
# git checkout, every file but those.
list_sources() {
    if command -v git >/dev/null 2>&1 && git -C "${ROOT}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "${ROOT}" ls-files -z --cached --others --exclude-standard
    else
        (cd "${ROOT}" && find . \( -path ./.git -o -path ./_output -o -path ./bin -o -path "./.${OLD_SHORT}" \) -prune -o \
            \( -type f -o -type l \) ! -path './artifacts/deploy/certs/*.crt' ! -path './artifacts/deploy/certs/*.key' -print0 |
            sed -z 's|^\./||')
    fi
}

# copy_renamed: copies every listed file into OUT, renaming its path and,
# for a text file (one without a NUL byte), its content. Binary files are
# copied as they are.
#
# Each name is first replaced by a placeholder, the longest first (the
# module path before the binary name it contains), then every remaining
# "wardle" by the short name in its three cases, then the placeholders by
# the new values. So a new module path, group or binary name that itself
# contains "wardle" comes out intact. The placeholders hold NUL bytes,
# which no text file does.
copy_renamed() {
    local short="$1"
    list_sources | NP_SRC="${ROOT}" NP_OUT="${OUT}" NP_SHORT_OLD="${OLD_SHORT}" NP_SHORT_NEW="${short}" \
        NP_PAIRS="$(name_pairs)" perl -0 -e '
        use strict; use warnings;
        use File::Basename qw(dirname);
        use File::Path qw(make_path);
        my @pairs = map { [split /\t/] } split /\n/, $ENV{NP_PAIRS};
        my ($old, $new) = @ENV{qw(NP_SHORT_OLD NP_SHORT_NEW)};
        my @cases = ([$old, $new], [ucfirst $old, ucfirst $new], [uc $old, uc $new]);
        sub rename_text {
            my ($s) = @_;
            for my $i (0 .. $#pairs) { $s =~ s/\Q$pairs[$i][0]\E/\0$i\0/g }
            for my $c (@cases) { $s =~ s/\Q$c->[0]\E/$c->[1]/g }
            $s =~ s/\0(\d+)\0/$pairs[$1][1]/g;
            return $s;
        }
        my %seen;
        while (my $rel = <STDIN>) {
            chomp $rel;
            my $src = "$ENV{NP_SRC}/$rel";
            next unless -e $src || -l $src;   # deleted, not yet committed
            next if -d $src && !-l $src;       # a submodule
            my $dst_rel = rename_text($rel);
            if (exists $seen{$dst_rel}) {
                next if $seen{$dst_rel} eq $rel;  # listed once per conflict stage
                die "both $seen{$dst_rel} and $rel would be $dst_rel\n";
            }
            $seen{$dst_rel} = $rel;
            my $dst = "$ENV{NP_OUT}/$dst_rel";
            make_path(dirname($dst));
            if (-l $src) {
                symlink(rename_text(readlink($src)), $dst) or die "symlink $dst: $!\n";
                next;
            }
            open(my $in, "<:raw", $src) or die "$src: $!\n";
            my $data = do { local $/; <$in> } // "";
            close $in;
            $data = rename_text($data) unless $data =~ /\0/;
            open(my $out, ">:raw", $dst) or die "$dst: $!\n";
            print $out $data or die "$dst: $!\n";
            close $out or die "$dst: $!\n";
            chmod((stat $src)[2] & 07777, $dst) or die "chmod $dst: $!\n";
        }'
}

# reverse_domain <module>: the module path as an OpenAPI model package
# (+k8s:openapi-model-package), its domain reversed as Kubernetes names its
# own: github.com/a/b is com.github.a.b.
reverse_domain() {
    local host="${1%%/*}" rest="" reversed="" label
    [[ "$1" == */* ]] && rest="${1#*/}"
    for label in ${host//./ }; do reversed="${label}${reversed:+.}${reversed}"; done
    rest="${rest//\//.}"
    echo "${reversed}${rest:+.}${rest}"
}

# proto_package <module>: the module path as go-to-protobuf turns an import
# path into a protobuf package.
proto_package() {
    local p="${1//\//.}"
    echo "${p//-/_}"
}

# env_name <binary>: the binary's name as it appears in environment
# variables (wardle-apiserver: WARDLE_APISERVER_BINARY).
env_name() {
    local e="${1^^}"
    echo "${e//-/_}"
}

# escape_dots <name>: the name as a regular expression or a kubectl
# jsonpath writes it (wardle\.example\.com).
escape_dots() {
    echo "${1//./\\.}"
}

# name_pairs: "old<TAB>new" lines, the longest names first, each name in
# every spelling the sources use. The organisation part of the module path
# appears nowhere but in the module path and its derived forms, so it needs
# no rule of its own.
name_pairs() {
    printf '%s\t%s\n' \
        "${OLD_MODULE}" "${MODULE}" \
        "$(escape_dots "${OLD_MODULE}")" "$(escape_dots "${MODULE}")" \
        "$(reverse_domain "${OLD_MODULE}")" "$(reverse_domain "${MODULE}")" \
        "$(proto_package "${OLD_MODULE}")" "$(proto_package "${MODULE}")" \
        "${OLD_GROUP}" "${GROUP}" \
        "$(escape_dots "${OLD_GROUP}")" "$(escape_dots "${GROUP}")" \
        "${OLD_BINARY}" "${BINARY}" \
        "$(env_name "${OLD_BINARY}")" "$(env_name "${BINARY}")"
}

# --- after the copy ---------------------------------------------------------

# go_modules: the directories of the copy's Go modules, relative to OUT.
go_modules() {
    (cd "${OUT}" && find . -name go.mod -not -path './_output/*' -printf '%h\n' | sed 's|^\./||' | LC_ALL=C sort)
}

go_files() {
    (cd "${OUT}" && find . -name '*.go' -not -path './_output/*' -not -path './.git/*')
}

# tidy_modules: go.mod files list their requirements sorted by path, and
# the new module path sorts elsewhere than the old one; go mod edit -fmt
# sorts them again without touching the module graph. Then go mod tidy must
# have nothing left to do.
tidy_modules() {
    local mod failed=()
    while read -r mod; do
        (cd "${OUT}/${mod}" && go mod edit -fmt)
    done < <(go_modules)
    while read -r mod; do
        (cd "${OUT}/${mod}" && go mod tidy -diff) || failed+=("${mod}")
    done < <(go_modules)
    ((${#failed[@]} == 0)) || fail "go mod tidy would change these modules of the copy: ${failed[*]}"
}

# build_modules: the copy compiles, every module but the one that only pins
# kube-apiserver for the aggregation tests (hack/tools), which takes
# minutes and has no code of ours.
build_modules() {
    local mod
    while read -r mod; do
        [[ "${mod}" == hack/tools/* ]] && continue
        echo "go build ./... in ${mod}"
        (cd "${OUT}/${mod}" && go build -o /dev/null ./...) || fail "the copy does not build in ${mod}"
    done < <(go_modules)
}

summary() { # summary <short> <a line about git>
    local short="$1"
    cat <<EOF

Made ${OUT}:
  Go module       ${MODULE} (and ${MODULE}/apis, ${MODULE}/pkg/generated, ...)
  API group       ${GROUP}, served as v1alpha1 and v1beta1; Go package apis/${short}
  binaries        bin/${BINARY} (the server, also the image name) and bin/${short}-controller
  etcd prefix     /registry/${GROUP}
  data dir        ./.${short}, where admin.kubeconfig is for the user ${short}-admin
  namespace       ${short} (artifacts/deploy)
The kinds Flunder and Fischer are still there, as the worked example: edit
them or delete them (apis/${short}, pkg/registry/${short}, then make update-codegen).
$2

Next:
  cd ${OUT} && make build && make test
EOF
}

main() {
    local short git_note
    parse_flags "$@"
    command -v go >/dev/null 2>&1 || fail "go is not on the PATH"
    command -v perl >/dev/null 2>&1 || fail "perl is not on the PATH (it does the renaming)"
    short="${GROUP%%.*}"
    [[ -n "${BINARY}" ]] || BINARY="${short}-apiserver"
    validate_module
    validate_group
    validate_short "${short}"
    validate_binary "${short}"
    validate_out

    trap 'status=$?; if ((status != 0)); then echo "new-project: failed; what was made so far is in ${OUT} (remove it before trying again)" >&2; fi' EXIT
    export GOWORK=off

    step "Copying ${ROOT} to ${OUT} as ${MODULE}, group ${GROUP}, binary ${BINARY}"
    mkdir -p "${OUT}"
    copy_renamed "${short}"
    # The copy's checks list files with git ls-files; an empty repository is
    # enough for them (untracked files are listed too).
    git_note="git is not on the PATH: run git init there; make verify needs it"
    if command -v git >/dev/null 2>&1; then
        git -c init.defaultBranch=main init -q "${OUT}"
        git_note="A git repository was initialised there, with nothing committed."
    fi

    step "gofmt: renamed identifiers align, and imports sort, differently"
    go_files | (cd "${OUT}" && xargs -r gofmt -w)

    step "Regenerating the generated code (hack/update-codegen.sh of the copy)"
    "${OUT}/hack/update-codegen.sh"
    [[ -z "$(go_files | (cd "${OUT}" && xargs -r gofmt -l))" ]] || fail "gofmt would change the generated code of the copy"

    step "Checking go.mod files"
    tidy_modules

    step "Compiling the copy"
    build_modules

    summary "${short}" "${git_note}"
}

main "$@"
