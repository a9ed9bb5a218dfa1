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
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// The tests in this file drive the generated client code (typed clientset,
// apply configurations, informers and listers) against the real server, as
// a controller or a CLI built on them would.

const (
	// adminUserName is who admin.kubeconfig authenticates as, which
	// FlunderCreator records on every Flunder the tests create.
	adminUserName = "wardle-admin"
	// clientGoManager is the field manager of the tests' applies.
	clientGoManager = "clientgo-test"
)

// expectSameJSON fails unless got and want are semantically equal, showing
// both as JSON when they are not. It compares apply configurations, statuses
// and whole objects.
func expectSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s:\n  got  %s\n  want %s", what, g, w)
	}
}

func expectLabels(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: labels %v, want %v", what, got, want)
	}
}

func expectCreator(t *testing.T, what string, obj metav1.Object) {
	t.Helper()
	if got := obj.GetAnnotations()[wardle.CreatedByAnnotation]; got != adminUserName {
		t.Errorf("%s: annotation %s = %q, want %q (annotations %v)", what, wardle.CreatedByAnnotation, got, adminUserName, obj.GetAnnotations())
	}
}

// expectApplyOwner fails unless manager owns fields of obj by an apply to
// subresource ("" for the main resource) in apiVersion.
func expectApplyOwner(t *testing.T, obj metav1.Object, manager, subresource, apiVersion string) {
	t.Helper()
	m := managedEntry(t, obj, manager)
	if m.Operation != metav1.ManagedFieldsOperationApply || m.Subresource != subresource || m.APIVersion != apiVersion {
		t.Errorf("managedFields of %q: operation %q subresource %q apiVersion %q, want Apply %q %q",
			manager, m.Operation, m.Subresource, m.APIVersion, subresource, apiVersion)
	}
}

// expectConflictOn fails unless err is a 409 from server-side apply that
// names field among the conflicts.
func expectConflictOn(t *testing.T, err error, field string) {
	t.Helper()
	status := expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
	if status.Details != nil {
		for _, c := range status.Details.Causes {
			if c.Type == metav1.CauseTypeFieldManagerConflict && c.Field == field {
				return
			}
		}
	}
	t.Errorf("conflict does not name %s: %+v", field, status.Details)
}

// appliedCondition is a True condition as an apply configuration, at ltt.
func appliedCondition(condType, reason string, ltt metav1.Time) *metav1ac.ConditionApplyConfiguration {
	return metav1ac.Condition().
		WithType(condType).
		WithStatus(metav1.ConditionTrue).
		WithReason(reason).
		WithMessage("applied by the test").
		WithLastTransitionTime(ltt)
}

// receive returns the next value of ch, failing the test when none comes
// within eventTimeout.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no %s within %v", what, eventTimeout)
	}
	var zero T
	return zero
}

func TestClientGo(t *testing.T) {
	// No controllers in the server: the checks below count every write and
	// every event, so the test's own writes must be the only ones.
	e := startEnv(t, "--controllers=")

	t.Run("FlundersV1beta1", func(t *testing.T) { testTypedFlundersV1beta1(t, e) })
	t.Run("FlundersV1alpha1", func(t *testing.T) { testTypedFlundersV1alpha1(t, e) })
	t.Run("Fischers", func(t *testing.T) { testTypedFischers(t, e) })
	t.Run("Watch", func(t *testing.T) { testTypedWatch(t, e) })
	t.Run("Informer", func(t *testing.T) { testInformerAndLister(t, e) })
}

// offer sends v on ch, unless ctx ends first.
func offer[T any](ctx context.Context, ch chan<- T, v T) {
	select {
	case ch <- v:
	case <-ctx.Done():
	}
}
