/*
Copyright The wardle-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package version tells which wardle-apiserver this is. /version serves it.
package version

import (
	"fmt"
	"runtime"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	basecompatibility "k8s.io/component-base/compatibility"
)

// The Makefile stamps these with -ldflags -X; a plain go build or go run
// reports the development version.
var (
	gitVersion   = "v0.1.0-dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = ""
)

// Get returns the version of this build, as /version serves it. The
// version is wardle-apiserver's own, a valid semantic version that kubectl
// version can parse.
func Get() apimachineryversion.Info {
	info := apimachineryversion.Info{
		GitVersion:   gitVersion,
		GitCommit:    gitCommit,
		GitTreeState: gitTreeState,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
	if v, err := utilversion.ParseSemantic(gitVersion); err == nil {
		info.Major, info.Minor = fmt.Sprint(v.Major()), fmt.Sprint(v.Minor())
	}
	return info
}

// EffectiveVersion reports this build's version through Info, and is
// otherwise the Kubernetes effective version it wraps. The generic server
// uses the wrapped version for feature gates and API levels, which follow
// the k8s.io libraries this server is built on; /version shows ours.
func EffectiveVersion(kube basecompatibility.EffectiveVersion) basecompatibility.EffectiveVersion {
	return effectiveVersion{kube}
}

type effectiveVersion struct {
	basecompatibility.EffectiveVersion
}

// Info returns this build's version, with the Kubernetes emulation and
// minimum compatibility versions of the wrapped version.
func (v effectiveVersion) Info() *apimachineryversion.Info {
	info := Get()
	if kube := v.EffectiveVersion.Info(); kube != nil {
		info.EmulationMajor, info.EmulationMinor = kube.EmulationMajor, kube.EmulationMinor
		info.MinCompatibilityMajor, info.MinCompatibilityMinor = kube.MinCompatibilityMajor, kube.MinCompatibilityMinor
	}
	return &info
}
