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
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/cmd/server"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

const (
	// admCreatorKey is the annotation FlunderCreator stamps.
	admCreatorKey = "wardle.example.com/created-by"
	// admAdmin is the user of the admin kubeconfig; admInsecureUser is
	// who a request on the insecure port is.
	admAdmin        = "wardle-admin"
	admInsecureUser = "system:unsecured"
	// admBanTimeout bounds the wait for a Fischer change to reach BanFlunder's
	// informer.
	admBanTimeout = 30 * time.Second
)

// admDryRunCreate creates a v1beta1 flunder with dryRun=All: it passes
// through admission, but nothing is stored.
func (e *env) admDryRunCreate(ctx context.Context, ns, name string) error {
	_, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}),
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// admBanMessage is BanFlunder's message when fischers (sorted, joined with
// ", ") disallow name.
func admBanMessage(name, fischers string) string {
	return `flunders.wardle.example.com "` + name + `" is forbidden: the name "` + name + `" is disallowed by Fischer ` + fischers
}

// admWaitBanned polls dry-run creates of name until BanFlunder refuses it
// naming exactly fischers; admWaitAllowed until it lets it through. A
// Fischer change reaches the plugin through an informer, so a moment later.
func (e *env) admWaitBanned(t *testing.T, ns, name, fischers string) {
	t.Helper()
	e.admWaitAdmission(t, ns, name, func(err error) bool {
		return apierrors.IsForbidden(err) && err.Error() == admBanMessage(name, fischers)
	}, "refused by Fischer "+fischers)
}

func (e *env) admWaitAllowed(t *testing.T, ns, name string) {
	t.Helper()
	e.admWaitAdmission(t, ns, name, func(err error) bool {
		// AlreadyExists comes from storage, after admission passed.
		return err == nil || apierrors.IsAlreadyExists(err)
	}, "allowed")
}

func (e *env) admWaitAdmission(t *testing.T, ns, name string, done func(error) bool, what string) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, admBanTimeout, true, func(ctx context.Context) (bool, error) {
		last = e.admDryRunCreate(ctx, ns, name)
		if done(last) {
			return true, nil
		}
		if last != nil && !apierrors.IsForbidden(last) && !apierrors.IsAlreadyExists(last) {
			return false, last // not a question of time
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("flunder %q not %s within %v: %v (last result: %v)", name, what, admBanTimeout, err, last)
	}
}

// admExpectBanned fails unless err is BanFlunder's 403 for name naming
// exactly fischers.
func admExpectBanned(t *testing.T, err error, name, fischers string) {
	t.Helper()
	status := expectStatus(t, err, http.StatusForbidden, metav1.StatusReasonForbidden)
	if want := admBanMessage(name, fischers); status.Message != want {
		t.Errorf("message\n  got  %q\n  want %q", status.Message, want)
	}
	if d := status.Details; d == nil || d.Group != group || d.Kind != "flunders" || d.Name != name {
		t.Errorf("details %+v, want group %s kind flunders name %s", d, group, name)
	}
}

// admCreatorWarnings returns the Warning headers about the creator annotation.
func admCreatorWarnings(h http.Header) []string {
	var out []string
	for _, w := range h.Values("Warning") {
		if strings.Contains(w, admCreatorKey) {
			out = append(out, w)
		}
	}
	return out
}

// admExpectCreatorWarning fails unless r has exactly one Warning about the
// creator annotation that names the ignored value (or none, when ignored
// is empty).
func admExpectCreatorWarning(t *testing.T, r response, ignored string) {
	t.Helper()
	got := admCreatorWarnings(r.header)
	if ignored == "" {
		if len(got) != 0 {
			t.Errorf("unexpected warnings %q", got)
		}
		return
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "299 ") || !containsAll(got[0], "cannot be changed", `\"`+ignored+`\"`) {
		t.Errorf("warnings %q (all: %q), want one 299 warning that %q was ignored", got, r.header.Values("Warning"), ignored)
	}
}

// admFlunderJSON is a v1beta1 Flunder as a client would send it.
func admFlunderJSON(name string, annotations map[string]string) []byte {
	obj := map[string]any{
		"apiVersion": group + "/v1beta1",
		"kind":       "Flunder",
		"metadata":   map[string]any{"name": name, "annotations": annotations},
	}
	data, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return data
}

// admDecodeFlunder decodes a Flunder from a 2xx response.
func admDecodeFlunder(t *testing.T, r response) *wardlev1beta1.Flunder {
	t.Helper()
	var f wardlev1beta1.Flunder
	r.decode(t, &f)
	if f.Kind != "Flunder" || f.Name == "" {
		t.Fatalf("not a Flunder: %s", truncate(r.body))
	}
	return &f
}

func admExpectCreator(t *testing.T, what string, f *wardlev1beta1.Flunder, want string) {
	t.Helper()
	got, ok := f.Annotations[admCreatorKey]
	if !ok || got != want {
		t.Errorf("%s: %s = %q (present %v), want %q; annotations %v", what, admCreatorKey, got, ok, want, f.Annotations)
	}
}

func TestAdmission(t *testing.T) {
	e := startEnv(t)

	t.Run("ReadyzWaitsForInformers", func(t *testing.T) {
		r := e.adminDo(t, http.MethodGet, "/readyz?verbose", "", nil).expectCode(t, http.StatusOK)
		if !strings.Contains(string(r.body), "[+]poststarthook/start-wardle-informers ok\n") {
			t.Errorf("/readyz?verbose does not list the informers' hook as ok:\n%s", r.body)
		}
		r = e.adminDo(t, http.MethodGet, "/readyz/poststarthook/start-wardle-informers", "", nil).expectCode(t, http.StatusOK)
		if string(r.body) != "ok" {
			t.Errorf("the hook's own check says %q", r.body)
		}
	})

	t.Run("BanFlunder", func(t *testing.T) {
		ctx := t.Context()
		const ns = "ban"
		e.CreateNamespace(t, ns)
		fischers := e.client.WardleV1beta1().Fischers()
		beta := e.client.WardleV1beta1().Flunders(ns)
		alpha := e.client.WardleV1alpha1().Flunders(ns)

		// Nothing bans the name yet, so the refusals below are the Fischer's.
		if err := e.admDryRunCreate(ctx, ns, "badname"); err != nil {
			t.Fatalf("before any Fischer: %v", err)
		}
		if _, err := fischers.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "banner"}, DisallowedFlunders: []string{"badname"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer: %v", err)
		}
		e.admWaitBanned(t, ns, "badname", "banner")

		_, err := beta.Create(ctx, betaFlunder("badname", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		admExpectBanned(t, err, "badname", "banner")
		_, err = alpha.Create(ctx, alphaFlunder("badname", "", nil), metav1.CreateOptions{})
		admExpectBanned(t, err, "badname", "banner")
		_, err = beta.Get(ctx, "badname", metav1.GetOptions{})
		expectNotFound(t, err)

		if f, err := beta.Create(ctx, betaFlunder("goodname", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Errorf("an allowed name was refused: %v", err)
		} else if f.Name != "goodname" {
			t.Errorf("created %q", f.Name)
		}
		// With generateName "badname" the final name is "badname" and a
		// suffix: it is the final name that is judged, not the prefix.
		gen := betaFlunder("", wardlev1beta1.FlunderSpec{})
		gen.GenerateName = "badname"
		if f, err := beta.Create(ctx, gen, metav1.CreateOptions{}); err != nil {
			t.Errorf("generateName badname: %v", err)
		} else if !strings.HasPrefix(f.Name, "badname") || f.Name == "badname" {
			t.Errorf("generated name %q", f.Name)
		}

		// Two Fischers: both named, sorted.
		if _, err := fischers.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "another"}, DisallowedFlunders: []string{"badname"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer: %v", err)
		}
		e.admWaitBanned(t, ns, "badname", "another, banner")
		_, err = beta.Create(ctx, betaFlunder("badname", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		admExpectBanned(t, err, "badname", "another, banner")

		// Deleting the Fischers lifts the ban.
		for _, name := range []string{"banner", "another"} {
			if err := fischers.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete fischer %s: %v", name, err)
			}
		}
		e.admWaitAllowed(t, ns, "badname")
		if _, err := beta.Create(ctx, betaFlunder("badname", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Errorf("create after the Fischers are deleted: %v", err)
		}

		// Adding a name to a Fischer bans it.
		if _, err := fischers.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "updater"}, DisallowedFlunders: []string{"first"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer: %v", err)
		}
		e.admWaitBanned(t, ns, "first", "updater")
		if err := e.admDryRunCreate(ctx, ns, "later"); err != nil {
			t.Fatalf("later, before the update: %v", err)
		}
		f, err := fischers.Get(ctx, "updater", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f.DisallowedFlunders = append(f.DisallowedFlunders, "later")
		if _, err := fischers.Update(ctx, f, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update fischer: %v", err)
		}
		e.admWaitBanned(t, ns, "later", "updater")
		_, err = alpha.Create(ctx, alphaFlunder("later", "", nil), metav1.CreateOptions{})
		admExpectBanned(t, err, "later", "updater")
		_, err = beta.Create(ctx, betaFlunder("first", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		admExpectBanned(t, err, "first", "updater")
	})

	t.Run("CreatorAnnotation", func(t *testing.T) {
		ctx := t.Context()
		const ns = "creator"
		e.CreateNamespace(t, ns)
		base := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"

		// Through the clientset, without the annotation.
		created, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder("plain", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		admExpectCreator(t, "create response", created, admAdmin)
		stored, err := e.client.WardleV1beta1().Flunders(ns).Get(ctx, "plain", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		admExpectCreator(t, "stored", stored, admAdmin)

		// A forged value is replaced, and the client is told.
		r := e.adminDo(t, http.MethodPost, base, "application/json", admFlunderJSON("forged", map[string]string{admCreatorKey: "mallory", "keep": "me"})).expectCode(t, http.StatusCreated)
		forged := admDecodeFlunder(t, r)
		admExpectCreator(t, "forged create", forged, admAdmin)
		if forged.Annotations["keep"] != "me" {
			t.Errorf("another annotation was lost: %v", forged.Annotations)
		}
		admExpectCreatorWarning(t, r, "mallory")

		// The right value is no cause for a warning.
		r = e.adminDo(t, http.MethodPost, base, "application/json", admFlunderJSON("honest", map[string]string{admCreatorKey: admAdmin})).expectCode(t, http.StatusCreated)
		admExpectCreator(t, "honest create", admDecodeFlunder(t, r), admAdmin)
		admExpectCreatorWarning(t, r, "")

		// v1alpha1 too.
		alphaBody := []byte(`{"apiVersion":"` + group + `/v1alpha1","kind":"Flunder","metadata":{"name":"forged-alpha","annotations":{"` + admCreatorKey + `":"mallory"}}}`)
		r = e.adminDo(t, http.MethodPost, "/apis/"+group+"/v1alpha1/namespaces/"+ns+"/flunders", "application/json", alphaBody).expectCode(t, http.StatusCreated)
		var alphaCreated metav1.PartialObjectMetadata
		r.decode(t, &alphaCreated)
		if got := alphaCreated.Annotations[admCreatorKey]; got != admAdmin {
			t.Errorf("v1alpha1 create: creator %q, want %q", got, admAdmin)
		}
		admExpectCreatorWarning(t, r, "mallory")

		// The creator is whoever is authenticated: here, whom the admin
		// impersonates.
		r = e.adminDo(t, http.MethodPost, base, "application/json", admFlunderJSON("by-carol", nil),
			"Impersonate-User", "carol", "Impersonate-Group", "system:masters").expectCode(t, http.StatusCreated)
		admExpectCreator(t, "impersonated create", admDecodeFlunder(t, r), "carol")

		// The current object of name, as JSON without its resourceVersion
		// (updates are unconditional) and with the marker label set.
		current := func(t *testing.T, name, marker string, edit func(meta map[string]any)) []byte {
			t.Helper()
			var obj map[string]any
			e.adminDo(t, http.MethodGet, base+"/"+name, "", nil).expectCode(t, http.StatusOK).decode(t, &obj)
			// A read-modify-write keeps the resourceVersion, as kubectl
			// edit and client-go's update helpers do.
			meta := obj["metadata"].(map[string]any)
			delete(meta, "managedFields")
			labels, _ := meta["labels"].(map[string]any)
			if labels == nil {
				labels = map[string]any{}
			}
			labels["step"] = marker
			meta["labels"] = labels
			edit(meta)
			return mustJSON(t, obj)
		}
		setCreator := func(v any) func(map[string]any) {
			return func(meta map[string]any) {
				annotations, _ := meta["annotations"].(map[string]any)
				if annotations == nil {
					annotations = map[string]any{}
				}
				annotations[admCreatorKey] = v
				meta["annotations"] = annotations
			}
		}
		dropCreator := func(meta map[string]any) {
			if annotations, _ := meta["annotations"].(map[string]any); annotations != nil {
				delete(annotations, admCreatorKey)
			}
		}
		apply := func(marker string, annotations map[string]string) []byte {
			return []byte(`{"apiVersion":"` + group + `/v1beta1","kind":"Flunder","metadata":{"name":"forged","labels":{"step":"` + marker + `"},"annotations":` + string(mustJSON(t, annotations)) + `}}`)
		}
		escaped := strings.ReplaceAll(admCreatorKey, "/", "~1")

		changes := []struct {
			name        string // also the value of the step label it sets
			method      string
			subresource string
			query       string
			contentType string
			body        func(t *testing.T) []byte
			// ignored is the value the client sent, which a warning must
			// name; empty when the client removed the annotation.
			ignored string
			// removed is true when the request removes the annotation: the
			// warning says the removal was ignored.
			removed bool
			// unmarked is true when the request cannot set the marker label.
			unmarked bool
		}{
			{
				name: "put-change", method: http.MethodPut, contentType: "application/json",
				body:    func(t *testing.T) []byte { return current(t, "forged", "put-change", setCreator("mallory")) },
				ignored: "mallory",
			},
			{
				// A PUT is a whole object: one without the annotation
				// cannot be told from a manifest that never had it, so the
				// creator is restored without a warning (patches below warn).
				name: "put-remove", method: http.MethodPut, contentType: "application/json",
				body: func(t *testing.T) []byte { return current(t, "forged", "put-remove", dropCreator) },
			},
			{
				// A manifest written without the annotation (and without a
				// resourceVersion), as "kubectl replace -f" sends it, never
				// had it: the creator stays and nothing is said about it.
				name: "put-manifest", method: http.MethodPut, contentType: "application/json",
				body: func(t *testing.T) []byte {
					return current(t, "forged", "put-manifest", func(meta map[string]any) {
						dropCreator(meta)
						delete(meta, "resourceVersion")
					})
				},
			},
			{
				name: "put-empty", method: http.MethodPut, contentType: "application/json",
				body:    func(t *testing.T) []byte { return current(t, "forged", "put-empty", setCreator("")) },
				ignored: "",
			},
			{
				name: "merge-change", method: http.MethodPatch, contentType: "application/merge-patch+json",
				body: func(*testing.T) []byte {
					return []byte(`{"metadata":{"labels":{"step":"merge-change"},"annotations":{"` + admCreatorKey + `":"mallory"}}}`)
				},
				ignored: "mallory",
			},
			{
				name: "merge-remove", removed: true, method: http.MethodPatch, contentType: "application/merge-patch+json",
				body: func(*testing.T) []byte {
					return []byte(`{"metadata":{"labels":{"step":"merge-remove"},"annotations":{"` + admCreatorKey + `":null}}}`)
				},
			},
			{
				name: "json-change", method: http.MethodPatch, contentType: "application/json-patch+json",
				body: func(*testing.T) []byte {
					return []byte(`[{"op":"add","path":"/metadata/labels/step","value":"json-change"},` +
						`{"op":"replace","path":"/metadata/annotations/` + escaped + `","value":"mallory"}]`)
				},
				ignored: "mallory",
			},
			{
				name: "json-remove", removed: true, method: http.MethodPatch, contentType: "application/json-patch+json",
				body: func(*testing.T) []byte {
					return []byte(`[{"op":"add","path":"/metadata/labels/step","value":"json-remove"},` +
						`{"op":"remove","path":"/metadata/annotations/` + escaped + `"}]`)
				},
			},
			{
				name: "apply-change", method: http.MethodPatch, contentType: "application/apply-patch+yaml",
				query: "?fieldManager=intruder&force=true",
				body: func(*testing.T) []byte {
					return apply("apply-change", map[string]string{admCreatorKey: "mallory"})
				},
				ignored: "mallory",
			},
			{
				// The intruder applied the annotation above; now it
				// applies without it. Whatever server-side apply makes of
				// that, the creator stays.
				name: "apply-drop", removed: true, method: http.MethodPatch, contentType: "application/apply-patch+yaml",
				query: "?fieldManager=intruder&force=true",
				body:  func(*testing.T) []byte { return apply("apply-drop", map[string]string{}) },
			},
			{
				name: "status-put", method: http.MethodPut, subresource: "/status", contentType: "application/json",
				body: func(t *testing.T) []byte {
					return current(t, "forged", "status-put", setCreator("mallory"))
				},
				// flunders/status keeps all metadata as stored.
				unmarked: true,
			},
		}
		for _, tc := range changes {
			t.Run(tc.name, func(t *testing.T) {
				body := tc.body(t)
				r := e.adminDo(t, tc.method, base+"/forged"+tc.subresource+tc.query, tc.contentType, body)
				r.expectCode(t, http.StatusOK)
				got := admDecodeFlunder(t, r)
				admExpectCreator(t, "response", got, admAdmin)
				if !tc.unmarked && got.Labels["step"] != tc.name {
					t.Errorf("the request did not take effect: labels %v", got.Labels)
				}
				switch {
				case tc.name == "put-empty":
					if len(admCreatorWarnings(r.header)) != 1 {
						t.Errorf("want one warning about the ignored empty value, got %q", r.header.Values("Warning"))
					}
				case tc.subresource != "":
					admExpectCreatorWarning(t, r, "")
				case tc.removed:
					got := admCreatorWarnings(r.header)
					if len(got) != 1 || !containsAll(got[0], "cannot be changed", "its removal was ignored", `\"`+admAdmin+`\"`) {
						t.Errorf("warnings %q, want one that the removal was ignored and the creator stays %q", got, admAdmin)
					}
				default:
					admExpectCreatorWarning(t, r, tc.ignored)
				}
				stored, err := e.client.WardleV1beta1().Flunders(ns).Get(ctx, "forged", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				admExpectCreator(t, "stored", stored, admAdmin)
			})
		}

		// Another user's update does not make them the creator.
		body := current(t, "forged", "by-carol", func(map[string]any) {})
		r = e.adminDo(t, http.MethodPut, base+"/forged", "application/json", body,
			"Impersonate-User", "carol", "Impersonate-Group", "system:masters").expectCode(t, http.StatusOK)
		admExpectCreator(t, "update by carol", admDecodeFlunder(t, r), admAdmin)
	})

	t.Run("CreatorOnInsecurePort", func(t *testing.T) {
		const ns = "creator-insecure"
		e.CreateNamespace(t, ns)
		client := &http.Client{Timeout: requestTimeout}
		r := do(t, client, http.MethodPost, e.InsecureURL+"/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders", "application/json",
			admFlunderJSON("local", map[string]string{admCreatorKey: admAdmin})).expectCode(t, http.StatusCreated)
		admExpectCreator(t, "insecure create", admDecodeFlunder(t, r), admInsecureUser)
		admExpectCreatorWarning(t, r, admAdmin)
		stored, err := e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), "local", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		admExpectCreator(t, "stored", stored, admInsecureUser)
	})
}

// TestAdmissionPluginsDisabled turns wardle's two plugins and
// NamespaceLifecycle off. The Fischer is stored before the server starts,
// so had BanFlunder been on it would have known it from the first request
// (readyz waits for its informer); the same data with the plugins on shows
// that.
func TestAdmissionPluginsDisabled(t *testing.T) {
	dataDir := t.TempDir()
	const ns = "disabled"
	seed := newEnv(t, framework.StartTestServer(t, dataDir))
	seed.CreateNamespace(t, ns)
	if _, err := seed.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "banner"}, DisallowedFlunders: []string{"badname", "alsobad"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create fischer: %v", err)
	}
	if err := seed.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	off := newEnv(t, framework.StartTestServer(t, dataDir, "--disable-admission-plugins=BanFlunder,FlunderCreator,NamespaceLifecycle"))
	f, err := off.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder("badname", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("BanFlunder is disabled, yet: %v", err)
	}
	if v, ok := f.Annotations[admCreatorKey]; ok {
		t.Errorf("FlunderCreator is disabled, yet %s = %q", admCreatorKey, v)
	}
	forged := betaFlunder("forged", wardlev1beta1.FlunderSpec{})
	forged.Annotations = map[string]string{admCreatorKey: "mallory"}
	f, err = off.client.WardleV1beta1().Flunders(ns).Create(t.Context(), forged, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admExpectCreator(t, "disabled FlunderCreator", f, "mallory")
	// Without NamespaceLifecycle, as in kube-apiserver without it, the
	// namespace need not exist; its name is still validated.
	if _, err := off.client.WardleV1beta1().Flunders("adm-no-such-namespace").Create(t.Context(), betaFlunder("anywhere", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Errorf("NamespaceLifecycle is disabled, yet: %v", err)
	}
	_, err = off.client.WardleV1beta1().Flunders("Bad_Namespace").Create(t.Context(), betaFlunder("fine", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	expectInvalid(t, err, "Flunder", "fine", invalid("metadata.namespace"))
	if err := off.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	// Control: the same data, plugins on (the default). No polling: the
	// server is ready only once BanFlunder has read the Fischers.
	on := newEnv(t, framework.StartTestServer(t, dataDir))
	_, err = on.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder("alsobad", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	admExpectBanned(t, err, "alsobad", "banner")
	f, err = on.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder("fine", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admExpectCreator(t, "enabled FlunderCreator", f, admAdmin)
	_, err = on.client.WardleV1beta1().Flunders("adm-other-namespace").Create(t.Context(), betaFlunder("anywhere", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	expectNamespaceNotFound(t, err, "adm-other-namespace")
}

// TestAdmissionPluginFlags checks the admission flags as the command
// validates them in standalone mode, without starting a server.
func TestAdmissionPluginFlags(t *testing.T) {
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
	}
	tests := []struct {
		name string
		flag string
		// errs are strings the error must contain; none means valid.
		errs []string
		// notErr are strings the error must not contain.
		notErr []string
	}{
		{name: "defaults"},
		{name: "enable own plugins", flag: "--enable-admission-plugins=BanFlunder,FlunderCreator"},
		{name: "disable own plugins", flag: "--disable-admission-plugins=BanFlunder,FlunderCreator"},
		// A standalone server serves namespaces: NamespaceLifecycle is
		// available (and on by default, see TestNamespaces).
		{name: "disable NamespaceLifecycle", flag: "--disable-admission-plugins=NamespaceLifecycle"},
		{name: "enable NamespaceLifecycle", flag: "--enable-admission-plugins=NamespaceLifecycle"},
		{name: "enable NamespaceLifecycle with own plugins", flag: "--enable-admission-plugins=NamespaceLifecycle,BanFlunder,FlunderCreator"},
		// The webhook and policy plugins read their configuration from
		// admissionregistration.k8s.io, which it does not serve.
		{
			name:   "enable a webhook plugin with an own plugin",
			flag:   "--enable-admission-plugins=BanFlunder,ValidatingAdmissionWebhook",
			errs:   []string{`admission plugin "ValidatingAdmissionWebhook"`, "admissionregistration.k8s.io", "standalone mode", "--kubeconfig"},
			notErr: []string{`"BanFlunder"`},
		},
		{
			name:   "enable the mutating webhook plugin with NamespaceLifecycle",
			flag:   "--enable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook",
			errs:   []string{`admission plugin "MutatingAdmissionWebhook"`, "admissionregistration.k8s.io"},
			notErr: []string{`"NamespaceLifecycle"`},
		},
		{
			name: "enable the policy plugins",
			flag: "--enable-admission-plugins=ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
			errs: []string{`admission plugin "ValidatingAdmissionPolicy"`, `admission plugin "MutatingAdmissionPolicy"`, "admissionregistration.k8s.io"},
		},
		{name: "disable a webhook plugin", flag: "--disable-admission-plugins=ValidatingAdmissionWebhook"},
		{
			name: "unknown plugin",
			flag: "--enable-admission-plugins=NoSuchPlugin",
			errs: []string{`"NoSuchPlugin" is unknown`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := server.NewWardleServerOptions(io.Discard, io.Discard)
			fs := pflag.NewFlagSet("wardle-apiserver", pflag.ContinueOnError)
			opts.AddFlags(fs)
			args := []string{"--data-dir=" + t.TempDir()}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := opts.Complete(); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if !opts.Standalone() {
				t.Fatal("want standalone mode")
			}
			err := opts.Validate()
			if len(tc.errs) == 0 {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %s", tc.flag)
			}
			for _, want := range tc.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			for _, not := range tc.notErr {
				if strings.Contains(err.Error(), not) {
					t.Errorf("error %q mentions %s", err, not)
				}
			}
		})
	}
}
