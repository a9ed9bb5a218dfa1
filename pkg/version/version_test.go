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
	"testing"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	basecompatibility "k8s.io/component-base/compatibility"
)

func TestGetIsSemantic(t *testing.T) {
	info := Get()
	v, err := utilversion.ParseSemantic(info.GitVersion)
	if err != nil {
		t.Fatalf("gitVersion %q is not a semantic version (kubectl version cannot parse it): %v", info.GitVersion, err)
	}
	if info.Major != "0" || info.Minor != "1" || v.Major() != 0 || v.Minor() != 1 {
		t.Errorf("major/minor = %q/%q, want them to match gitVersion %q", info.Major, info.Minor, info.GitVersion)
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
		t.Errorf("Info().GitVersion = %q, want wardle's %q", info.GitVersion, Get().GitVersion)
	}
	if info.EmulationMajor != "1" || info.EmulationMinor != "37" {
		t.Errorf("emulation = %s.%s, want the wrapped 1.37", info.EmulationMajor, info.EmulationMinor)
	}
}
