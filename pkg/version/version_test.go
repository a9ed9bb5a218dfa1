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

package version

import (
	"fmt"
	"testing"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	basecompatibility "k8s.io/component-base/compatibility"
)

func TestGetIsKubernetesWithWardleMetadata(t *testing.T) {
	info := Get()
	v, err := utilversion.ParseSemantic(info.GitVersion)
	if err != nil {
		t.Fatalf("gitVersion %q is not a semantic version (kubectl version cannot parse it): %v", info.GitVersion, err)
	}
	kube, err := utilversion.ParseSemantic(Kubernetes())
	if err != nil {
		t.Fatalf("Kubernetes() = %q: %v", Kubernetes(), err)
	}
	if kube.Major() != 1 || kube.Minor() < 37 {
		t.Errorf("Kubernetes() = %s, want the k8s.io/kubernetes release the server is built with (1.37 or later)", kube)
	}
	if info.Major != "1" || info.Minor != fmt.Sprint(kube.Minor()) || v.Major() != 1 || v.Minor() != kube.Minor() {
		t.Errorf("major/minor = %q/%q, gitVersion %q: want Kubernetes' %s", info.Major, info.Minor, info.GitVersion, kube)
	}
	if want := "wardle." + Wardle(); v.BuildMetadata() != want {
		t.Errorf("build metadata of %q = %q, want %q", info.GitVersion, v.BuildMetadata(), want)
	}
}

func TestEffectiveVersionKeepsKubeLevels(t *testing.T) {
	kube := basecompatibility.NewEffectiveVersionFromString("1.37", "1.34", "1.34")
	wrapped := EffectiveVersion(kube)
	if !wrapped.BinaryVersion().EqualTo(kube.BinaryVersion()) || !wrapped.EmulationVersion().EqualTo(kube.EmulationVersion()) {
		t.Errorf("feature levels must stay Kubernetes': binary %v emulation %v", wrapped.BinaryVersion(), wrapped.EmulationVersion())
	}
	info := wrapped.Info()
	if info.GitVersion != Get().GitVersion {
		t.Errorf("Info().GitVersion = %q, want Get()'s %q", info.GitVersion, Get().GitVersion)
	}
	if info.EmulationMajor != "1" || info.EmulationMinor != "37" {
		t.Errorf("emulation = %s.%s, want the wrapped 1.37", info.EmulationMajor, info.EmulationMinor)
	}
}
