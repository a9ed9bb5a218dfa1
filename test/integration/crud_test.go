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

package integration

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// refTypeString prints a v1alpha1 reference type pointer.
func refTypeString(p *wardlev1alpha1.ReferenceType) string {
	if p == nil {
		return "<nil>"
	}
	return string(*p)
}

func expectAlphaSpec(t *testing.T, what string, got wardlev1alpha1.FlunderSpec, reference string, refType *wardlev1alpha1.ReferenceType) {
	t.Helper()
	if got.Reference != reference || refTypeString(got.ReferenceType) != refTypeString(refType) {
		t.Errorf("%s: v1alpha1 spec {reference %q, referenceType %s}, want {%q, %s}",
			what, got.Reference, refTypeString(got.ReferenceType), reference, refTypeString(refType))
	}
}

func expectBetaSpec(t *testing.T, what string, got, want wardlev1beta1.FlunderSpec) {
	t.Helper()
	if got != want {
		t.Errorf("%s: v1beta1 spec %+v, want %+v", what, got, want)
	}
}

func expectGeneration(t *testing.T, what string, obj metav1.Object, want int64) {
	t.Helper()
	if got := obj.GetGeneration(); got != want {
		t.Errorf("%s: generation %d, want %d", what, got, want)
	}
}

// propagationFinalizer is the finalizer a delete with policy adds when the
// garbage collector is enabled, or "" when it deletes at once.
func propagationFinalizer(policy metav1.DeletionPropagation) string {
	switch policy {
	case metav1.DeletePropagationOrphan:
		return metav1.FinalizerOrphanDependents
	case metav1.DeletePropagationForeground:
		return metav1.FinalizerDeleteDependents
	}
	return ""
}

func TestCRUD(t *testing.T) {
	e := startEnv(t)

	t.Run("FlundersV1beta1", func(t *testing.T) { testCRUDFlundersV1beta1(t, e) })
	t.Run("FlundersV1alpha1", func(t *testing.T) { testCRUDFlundersV1alpha1(t, e) })
	t.Run("FischersV1beta1", func(t *testing.T) { testCRUDFischers(t, e, "v1beta1") })
	t.Run("FischersV1alpha1", func(t *testing.T) { testCRUDFischers(t, e, "v1alpha1") })
	t.Run("Scope", func(t *testing.T) { testCRUDScope(t, e) })
	t.Run("CrossVersion", func(t *testing.T) { testCRUDCrossVersion(t, e) })
	t.Run("Defaulting", func(t *testing.T) { testCRUDDefaulting(t, e) })
	t.Run("GenerateName", func(t *testing.T) { testCRUDGenerateName(t, e) })
	t.Run("NotFoundAndAlreadyExists", func(t *testing.T) { testCRUDNotFoundAndAlreadyExists(t, e) })
	t.Run("DeleteCollection", func(t *testing.T) { testCRUDDeleteCollection(t, e) })
	t.Run("StaleResourceVersion", func(t *testing.T) { testCRUDStaleResourceVersion(t, e) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testCRUDConcurrentWriters(t, e) })
	t.Run("DryRun", func(t *testing.T) { testCRUDDryRun(t, e) })
	t.Run("PropagationPolicies", func(t *testing.T) { testCRUDPropagationPolicies(t, e) })
	t.Run("Finalizers", func(t *testing.T) { testCRUDFinalizers(t, e) })
	t.Run("ContentNegotiation", func(t *testing.T) { testCRUDContentNegotiation(t, e) })
	t.Run("TableOutput", func(t *testing.T) { testCRUDTableOutput(t, e) })
}
