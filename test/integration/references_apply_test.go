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
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// refStatusWriter is the manager that writes status in the tests below, as
// the flunder-status controller does (in v1beta1): an updater of status
// only, on every Flunder the controller has seen.
const refStatusWriter = "ref-status-writer"

// refApplyStep is one write of TestReferenceServerSideApply: a server-side
// apply of spec by manager in version, or (status set) a status write in
// version by refStatusWriter.
type refApplyStep struct {
	version, manager, spec string
	status                 bool
}

func refApplyOf(version, manager, spec string) refApplyStep {
	return refApplyStep{version: version, manager: manager, spec: spec}
}

func refStatusIn(version string) refApplyStep {
	return refApplyStep{version: version, status: true}
}

// run sends the step, which must succeed, and returns its response.
func (s refApplyStep) run(t *testing.T, e *env, ns, name string) response {
	t.Helper()
	if s.status {
		return e.refPatch(t, s.version, ns, name+"/status", types.MergePatchType, `{"status":{"observedGeneration":1}}`, "?fieldManager="+refStatusWriter).
			expectCode(t, http.StatusOK)
	}
	r := e.refApply(t, s.version, ns, name, s.manager, false, s.spec)
	if r.code != http.StatusOK && r.code != http.StatusCreated {
		t.Fatalf("%s applies %s in %s: HTTP %d: %s", s.manager, s.spec, s.version, r.code, truncate(r.body))
	}
	return r
}

// refOwnership is what a manager's managedFields entry must be after a
// test: in version, owning the spec fields named (as "f:name"), no others.
type refOwnership struct {
	manager, version string
	spec             []string
}

// TestReferenceServerSideApply applies Flunders in both versions, by one
// manager and by two, with managers of the other version on the object or
// not, and checks that each outcome is what server-side apply's rules say,
// followed by defaulting and (v1beta1) the switch of referenceType to the
// kind of the reference that is set:
//
//   - a field a manager applied before and leaves out now is removed,
//     unless another manager owns it too, and then it keeps its value;
//   - a referenceType that is removed is defaulted: Flunder in v1alpha1
//     (the default of a reference without a type), the kind of the one
//     reference in v1beta1;
//   - a manager of the other version changes none of this. The status
//     writer (the flunder-status controller writes status in v1beta1) and
//     the second manager are given in the other version too; before the
//     store translated managers' fields into the request's version, those
//     applies failed (422: spec.reference: Required value: referenceType
//     is Fischer) or lost the reference.
//
// Each case ends by applying its last manifest again, which must change
// nothing (not even the resourceVersion): the managers of other versions
// are written back as they were.
func TestReferenceServerSideApply(t *testing.T) {
	e := startEnv(t)
	const ns = "ref-apply"
	e.CreateNamespace(t, ns)
	const (
		alpha, beta = "v1alpha1", "v1beta1"
		a, b        = refOwner, refOther
		fz, fw      = "fz", "fw"
	)
	alphaFischer := `{"reference":"` + fz + `","referenceType":"Fischer"}`
	betaFischer := `{"fischerReference":"` + fz + `","referenceType":"Fischer"}`
	alphaRenamed := `{"reference":"` + fw + `"}`
	betaSwitched := `{"flunderReference":"` + fw + `"}`
	typeFischer := `{"referenceType":"Fischer"}`

	for _, tc := range []struct {
		name string
		// steps come first, all successful; then the last apply.
		steps []refApplyStep
		last  refApplyStep
		// want is what the Flunder refers to after the last apply, why
		// says why.
		want refRef
		why  string
		// owners are the managers' entries after it.
		owners []refOwnership
	}{
		// v1alpha1, one manager: it gives up referenceType, which it alone
		// owned; the type is removed, and defaulted to Flunder.
		{
			name:  "v1alpha1/one-manager",
			steps: []refApplyStep{refApplyOf(alpha, a, alphaFischer)},
			last:  refApplyOf(alpha, a, alphaRenamed),
			want:  refToFlunder(fw), why: "the manager gave up referenceType, which it alone owned: removed, and defaulted to Flunder",
			owners: []refOwnership{{a, alpha, []string{"f:reference"}}},
		},
		{
			name:  "v1alpha1/one-manager-status-writer-in-v1beta1",
			steps: []refApplyStep{refApplyOf(alpha, a, alphaFischer), refStatusIn(beta)},
			last:  refApplyOf(alpha, a, alphaRenamed),
			want:  refToFlunder(fw), why: "the status writer owns no spec field: as without it",
			owners: []refOwnership{{a, alpha, []string{"f:reference"}}, {refStatusWriter, beta, nil}},
		},
		{
			// The manager applied in v1beta1 first: what it owns there,
			// fischerReference and referenceType, is v1alpha1's reference
			// and referenceType.
			name:  "v1alpha1/one-manager-that-applied-in-v1beta1",
			steps: []refApplyStep{refApplyOf(beta, a, betaFischer)},
			last:  refApplyOf(alpha, a, alphaRenamed),
			want:  refToFlunder(fw), why: "the manager gave up referenceType, whichever version it applied it in",
			owners: []refOwnership{{a, alpha, []string{"f:reference"}}},
		},

		// v1alpha1, two managers: the second co-owns referenceType.
		{
			name:  "v1alpha1/two-managers",
			steps: []refApplyStep{refApplyOf(alpha, a, alphaFischer), refApplyOf(alpha, b, typeFischer)},
			last:  refApplyOf(alpha, a, alphaRenamed),
			want:  refToFischer(fw), why: "the other manager still owns referenceType: it keeps its value, Fischer, and the new name is a Fischer's",
			owners: []refOwnership{{a, alpha, []string{"f:reference"}}, {b, alpha, []string{"f:referenceType"}}},
		},
		{
			name:  "v1alpha1/two-managers-second-in-v1beta1",
			steps: []refApplyStep{refApplyOf(alpha, a, alphaFischer), refApplyOf(beta, b, typeFischer), refStatusIn(beta)},
			last:  refApplyOf(alpha, a, alphaRenamed),
			want:  refToFischer(fw), why: "the other manager still owns referenceType, in v1beta1: it keeps its value",
			owners: []refOwnership{{a, alpha, []string{"f:reference"}}, {b, beta, []string{"f:referenceType"}}, {refStatusWriter, beta, nil}},
		},

		// v1beta1, one manager: it gives up fischerReference and
		// referenceType; both are removed, and the type is defaulted from
		// the reference that is set.
		{
			name:  "v1beta1/one-manager",
			steps: []refApplyStep{refApplyOf(beta, a, betaFischer)},
			last:  refApplyOf(beta, a, betaSwitched),
			want:  refToFlunder(fw), why: "the manager gave up fischerReference and referenceType: removed, and the type defaulted from flunderReference",
			owners: []refOwnership{{a, beta, []string{"f:flunderReference"}}},
		},
		{
			name:  "v1beta1/one-manager-status-writer-in-v1alpha1",
			steps: []refApplyStep{refApplyOf(beta, a, betaFischer), refStatusIn(alpha)},
			last:  refApplyOf(beta, a, betaSwitched),
			want:  refToFlunder(fw), why: "the status writer owns no spec field: as without it",
			owners: []refOwnership{{a, beta, []string{"f:flunderReference"}}, {refStatusWriter, alpha, nil}},
		},
		{
			// Before, this apply succeeded and the Flunder referred to
			// nothing: the reference was lost.
			name:  "v1beta1/one-manager-that-applied-in-v1alpha1",
			steps: []refApplyStep{refApplyOf(alpha, a, alphaFischer)},
			last:  refApplyOf(beta, a, betaSwitched),
			want:  refToFlunder(fw), why: "the manager gave up reference and referenceType, applied in v1alpha1: the Fischer reference and its type are removed",
			owners: []refOwnership{{a, beta, []string{"f:flunderReference"}}},
		},

		// v1beta1, two managers: the second co-owns referenceType. Server-
		// side apply keeps its value, Fischer, with flunderReference set:
		// an update that left the type as stored, with one reference of
		// the other kind, which is when the type follows the reference,
		// whatever the write (pkg/registry/wardle/flunder/reference.go).
		// The second manager still owns referenceType, now Flunder.
		{
			name:  "v1beta1/two-managers",
			steps: []refApplyStep{refApplyOf(beta, a, betaFischer), refApplyOf(beta, b, typeFischer)},
			last:  refApplyOf(beta, a, betaSwitched),
			want:  refToFlunder(fw), why: "referenceType kept its co-owned value, Fischer, and then followed the Flunder reference",
			owners: []refOwnership{{a, beta, []string{"f:flunderReference"}}, {b, beta, []string{"f:referenceType"}}},
		},
		{
			name:  "v1beta1/two-managers-second-in-v1alpha1",
			steps: []refApplyStep{refApplyOf(beta, a, betaFischer), refApplyOf(alpha, b, typeFischer), refStatusIn(alpha)},
			last:  refApplyOf(beta, a, betaSwitched),
			want:  refToFlunder(fw), why: "as with both in v1beta1",
			owners: []refOwnership{{a, beta, []string{"f:flunderReference"}}, {b, alpha, []string{"f:referenceType"}}, {refStatusWriter, alpha, nil}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, "/", "-")
			for _, s := range tc.steps {
				s.run(t, e, ns, name)
			}
			before := e.refExpectStored(t, ns, name, refToFischer(fz), 1)

			r := tc.last.run(t, e, ns, name)
			refExpectNoReferenceWarning(t, r)
			after := e.refExpectStored(t, ns, name, tc.want, 2)
			if t.Failed() {
				t.Fatalf("want %s: %s", tc.want, tc.why)
			}
			refExpectOwners(t, after, tc.owners)

			// The same manifest again: nothing changes, not even the
			// managers of the other version.
			tc.last.run(t, e, ns, name)
			again, _ := e.refGet(t, "v1beta1", ns, name)
			if again.Metadata.ResourceVersion != after.Metadata.ResourceVersion {
				t.Errorf("applying the same manifest again wrote the Flunder: resourceVersion %s, was %s (before the last apply %s)",
					again.Metadata.ResourceVersion, after.Metadata.ResourceVersion, before.Metadata.ResourceVersion)
			}
		})
	}

	// Two managers, then the second gives up referenceType too: nobody
	// owns it, it is removed, and defaulting in the version of that
	// apply gives the type. In v1alpha1, whose reference has no kind of
	// its own, that is Flunder; in v1beta1 the reference that is left is
	// fischerReference, and the type is defaulted from it: Fischer.
	for _, tc := range []struct {
		version string
		want    refRef
	}{{alpha, refToFlunder(fw)}, {beta, refToFischer(fw)}} {
		t.Run("two-managers-both-give-up-the-type-in-"+tc.version, func(t *testing.T) {
			name := "both-give-up-in-" + tc.version
			for _, s := range []refApplyStep{refApplyOf(alpha, a, alphaFischer), refApplyOf(beta, b, typeFischer), refApplyOf(alpha, a, alphaRenamed)} {
				s.run(t, e, ns, name)
			}
			e.refExpectStored(t, ns, name, refToFischer(fw), 2)
			refApplyOf(tc.version, b, `{}`).run(t, e, ns, name)
			gen := int64(3)
			if tc.want.kind == "Fischer" {
				gen = 2
			}
			obj := e.refExpectStored(t, ns, name, tc.want, gen)
			refExpectOwners(t, obj, []refOwnership{{a, alpha, []string{"f:reference"}}})
		})
	}
}

// refExpectOwners fails unless obj's managedFields have an entry per
// owner, of that manager in its version, owning exactly its spec fields
// (an entry with no spec field may own others, such as status), and no
// other entry owns a spec field.
func refExpectOwners(t *testing.T, obj refObject, owners []refOwnership) {
	t.Helper()
	specFields := func(m metav1.ManagedFieldsEntry) []string {
		var fields struct {
			Spec map[string]any `json:"f:spec"`
		}
		if err := json.Unmarshal([]byte(fieldsOf(m)), &fields); err != nil {
			t.Fatalf("managedFields of %s: %v", m.Manager, err)
		}
		var out []string
		for f := range fields.Spec {
			if f != "." {
				out = append(out, f)
			}
		}
		slices.Sort(out)
		return out
	}
	found := map[string]bool{}
	for _, m := range obj.Metadata.ManagedFields {
		var want *refOwnership
		for i := range owners {
			if owners[i].manager == m.Manager {
				want = &owners[i]
			}
		}
		got := specFields(m)
		if want == nil {
			if len(got) > 0 {
				t.Errorf("%s (%s, %s) owns %v of the spec, want nothing", m.Manager, m.Operation, m.APIVersion, got)
			}
			continue
		}
		found[m.Manager] = true
		if m.APIVersion != group+"/"+want.version {
			t.Errorf("%s's entry is in %s, want %s", m.Manager, m.APIVersion, want.version)
		}
		if !slices.Equal(got, slices.Sorted(slices.Values(want.spec))) {
			t.Errorf("%s owns %v of the spec, want %v", m.Manager, got, want.spec)
		}
	}
	for _, o := range owners {
		if !found[o.manager] {
			t.Errorf("no managedFields entry of %s: %v", o.manager, obj.Metadata.ManagedFields)
		}
	}
}
