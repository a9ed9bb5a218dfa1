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
	"net/http"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	applyv1alpha1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1alpha1"
	applyv1beta1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1beta1"
)

func testTypedFischers(t *testing.T, e *env) {
	ctx := t.Context()
	beta, alpha := e.client.WardleV1beta1().Fischers(), e.client.WardleV1alpha1().Fischers()
	const label = "clientgo-fischer"

	betaCreated, err := beta.Create(ctx, &wardlev1beta1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "clientgo-beta", Labels: map[string]string{label: "yes", "version": "v1beta1"}},
		DisallowedFlunders: []string{"banned-beta"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create v1beta1: %v", err)
	}
	alphaCreated, err := alpha.Create(ctx, &wardlev1alpha1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "clientgo-alpha", Labels: map[string]string{label: "yes", "version": "v1alpha1"}},
		DisallowedFlunders: []string{"banned-alpha"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create v1alpha1: %v", err)
	}
	for _, m := range []metav1.Object{betaCreated, alphaCreated} {
		if m.GetNamespace() != "" || m.GetUID() == "" || m.GetResourceVersion() == "" {
			t.Errorf("created fischer %s: metadata %q %q %q", m.GetName(), m.GetNamespace(), m.GetUID(), m.GetResourceVersion())
		}
		expectGeneration(t, "created fischer "+m.GetName(), m, 1)
	}

	t.Run("GetAcrossVersions", func(t *testing.T) {
		got, err := beta.Get(ctx, "clientgo-beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "get vs create response", got, betaCreated)
		asAlpha, err := alpha.Get(ctx, "clientgo-beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1alpha1: %v", err)
		}
		if !slices.Equal(asAlpha.DisallowedFlunders, []string{"banned-beta"}) || asAlpha.UID != betaCreated.UID {
			t.Errorf("v1alpha1 view of the v1beta1 fischer: %+v", asAlpha)
		}
		asBeta, err := beta.Get(ctx, "clientgo-alpha", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1beta1: %v", err)
		}
		if !slices.Equal(asBeta.DisallowedFlunders, []string{"banned-alpha"}) || asBeta.UID != alphaCreated.UID {
			t.Errorf("v1beta1 view of the v1alpha1 fischer: %+v", asBeta)
		}
		_, err = beta.Get(ctx, "clientgo-missing", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("List", func(t *testing.T) {
		for _, tc := range []struct {
			labels, fields string
			want           []string
		}{
			{label + "=yes", "", []string{"clientgo-alpha", "clientgo-beta"}},
			{label + "=yes,version=v1alpha1", "", []string{"clientgo-alpha"}},
			{"", "metadata.name=clientgo-beta", []string{"clientgo-beta"}},
			{label, "metadata.name!=clientgo-beta", []string{"clientgo-alpha"}},
		} {
			opts := metav1.ListOptions{LabelSelector: tc.labels, FieldSelector: tc.fields}
			betaList, err := beta.List(ctx, opts)
			if err != nil {
				t.Fatalf("list v1beta1 %+v: %v", opts, err)
			}
			expectNames(t, "v1beta1 fischers labels "+tc.labels+" fields "+tc.fields, names(betaList.Items), tc.want...)
			alphaList, err := alpha.List(ctx, opts)
			if err != nil {
				t.Fatalf("list v1alpha1 %+v: %v", opts, err)
			}
			expectNames(t, "v1alpha1 fischers labels "+tc.labels+" fields "+tc.fields, names(alphaList.Items), tc.want...)
		}
	})

	t.Run("UpdateAndPatch", func(t *testing.T) {
		in := betaCreated.DeepCopy()
		in.DisallowedFlunders = append(in.DisallowedFlunders, "banned-beta-2")
		updated, err := beta.Update(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if !slices.Equal(updated.DisallowedFlunders, []string{"banned-beta", "banned-beta-2"}) {
			t.Errorf("updated: %q", updated.DisallowedFlunders)
		}
		expectGeneration(t, "updated fischer", updated, 2)
		_, err = beta.Update(ctx, betaCreated, metav1.UpdateOptions{})
		expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)

		jsonPatched, err := beta.Patch(ctx, "clientgo-beta", types.JSONPatchType,
			[]byte(`[{"op":"add","path":"/disallowedFlunders/-","value":"banned-beta-3"}]`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("JSON patch: %v", err)
		}
		if !slices.Equal(jsonPatched.DisallowedFlunders, []string{"banned-beta", "banned-beta-2", "banned-beta-3"}) {
			t.Errorf("JSON patched: %q", jsonPatched.DisallowedFlunders)
		}
		expectGeneration(t, "JSON patched fischer", jsonPatched, 3)

		merged, err := alpha.Patch(ctx, "clientgo-alpha", types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"patched":"yes"}},"disallowedFlunders":["banned-alpha-2"]}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("merge patch: %v", err)
		}
		if !slices.Equal(merged.DisallowedFlunders, []string{"banned-alpha-2"}) {
			t.Errorf("merge patched: %q", merged.DisallowedFlunders)
		}
		expectLabels(t, "merge patched fischer", merged.Labels, map[string]string{label: "yes", "version": "v1alpha1", "patched": "yes"})
		expectGeneration(t, "merge patched fischer", merged, 2)
	})

	t.Run("ApplyAndExtract", func(t *testing.T) {
		cfg := applyv1beta1.Fischer("clientgo-applied").
			WithLabels(map[string]string{label: "yes"}).
			WithDisallowedFlunders("applied-1", "applied-2")
		applied, err := beta.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if !slices.Equal(applied.DisallowedFlunders, []string{"applied-1", "applied-2"}) || applied.Namespace != "" {
			t.Errorf("applied: %+v", applied)
		}
		expectGeneration(t, "applied fischer", applied, 1)
		expectApplyOwner(t, applied, clientGoManager, "", group+"/v1beta1")
		extracted, err := applyv1beta1.ExtractFischer(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted fischer", extracted, cfg)

		// disallowedFlunders is an atomic list: applying replaces it whole.
		cfg = applyv1beta1.Fischer("clientgo-applied").
			WithLabels(map[string]string{label: "yes"}).
			WithDisallowedFlunders("applied-3")
		applied, err = beta.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("second apply: %v", err)
		}
		if !slices.Equal(applied.DisallowedFlunders, []string{"applied-3"}) {
			t.Errorf("applied twice: %q", applied.DisallowedFlunders)
		}
		expectGeneration(t, "applied fischer twice", applied, 2)
		extracted, err = applyv1beta1.ExtractFischer(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted fischer after the second apply", extracted, cfg)
		_, err = beta.Apply(ctx, applyv1beta1.Fischer("clientgo-applied").WithDisallowedFlunders("intruder"), metav1.ApplyOptions{FieldManager: "clientgo-other"})
		expectConflictOn(t, err, ".disallowedFlunders")

		alphaCfg := applyv1alpha1.Fischer("clientgo-applied-alpha").
			WithLabels(map[string]string{label: "yes", "version": "v1alpha1"}).
			WithDisallowedFlunders("applied-alpha")
		alphaApplied, err := alpha.Apply(ctx, alphaCfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply v1alpha1: %v", err)
		}
		if !slices.Equal(alphaApplied.DisallowedFlunders, []string{"applied-alpha"}) {
			t.Errorf("applied v1alpha1: %q", alphaApplied.DisallowedFlunders)
		}
		expectApplyOwner(t, alphaApplied, clientGoManager, "", group+"/v1alpha1")
		alphaExtracted, err := applyv1alpha1.ExtractFischer(alphaApplied, clientGoManager)
		if err != nil {
			t.Fatalf("extract v1alpha1: %v", err)
		}
		expectSameJSON(t, "extracted v1alpha1 fischer", alphaExtracted, alphaCfg)
	})

	t.Run("DeleteAndDeleteCollection", func(t *testing.T) {
		if err := alpha.Delete(ctx, "clientgo-alpha", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &alphaCreated.UID}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err := beta.Get(ctx, "clientgo-alpha", metav1.GetOptions{})
		expectNotFound(t, err)

		keep, err := beta.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "clientgo-keep", Labels: map[string]string{label: "no"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		t.Cleanup(func() { _ = beta.Delete(context.Background(), keep.Name, metav1.DeleteOptions{}) })
		if err := beta.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: label + "=yes"}); err != nil {
			t.Fatalf("delete collection: %v", err)
		}
		list, err := alpha.List(ctx, metav1.ListOptions{LabelSelector: label})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "fischers left after DeleteCollection "+label+"=yes", names(list.Items), "clientgo-keep")
	})
}
