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
	"runtime/debug"
	"strings"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	basecompatibility "k8s.io/component-base/compatibility"
	baseversion "k8s.io/component-base/version"
)

// The Makefile stamps these with -ldflags -X; a plain go build or go run
// reports the development version. gitVersion is wardle-apiserver's own
// version.
var (
	gitVersion   = "v0.1.0-dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = ""
)

// kubernetesModule is the module whose API code a standalone server serves.
const kubernetesModule = "k8s.io/kubernetes"

// Wardle returns wardle-apiserver's own version, e.g. v0.1.0.
func Wardle() string { return gitVersion }

// Kubernetes returns the Kubernetes release whose APIs this build serves:
// the version of k8s.io/kubernetes it was built with (e.g. v1.37.1), or the
// release of its k8s.io libraries when that is unknown.
func Kubernetes() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == kubernetesModule {
				if dep.Replace != nil && dep.Replace.Version != "" {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "v" + baseversion.DefaultKubeBinaryVersion + ".0"
}

// Get returns the version of this build, as /version serves it. Clients
// gate features on the Kubernetes API level, so major, minor and the
// gitVersion are Kubernetes' (the APIs a standalone server serves are
// Kubernetes' own code of that release), and wardle-apiserver's own version
// rides along as semantic-version build metadata:
// v1.37.1+wardle.v0.1.0. kubectl version parses it and checks skew as with
// kube-apiserver.
func Get() apimachineryversion.Info {
	kube := Kubernetes()
	info := apimachineryversion.Info{
		GitVersion:   kube + "+wardle." + strings.ReplaceAll(gitVersion, "+", "."),
		GitCommit:    gitCommit,
		GitTreeState: gitTreeState,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
	if v, err := utilversion.ParseSemantic(kube); err == nil {
		info.Major, info.Minor = fmt.Sprint(v.Major()), fmt.Sprint(v.Minor())
	}
	return info
}

// EffectiveVersion reports this build's version through Info, and is
// otherwise the Kubernetes effective version it wraps. The generic server
// uses the wrapped version for feature gates and API levels, which follow
// the k8s.io libraries this server is built on; /version shows Get().
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
