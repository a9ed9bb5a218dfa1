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
	"path/filepath"
	"slices"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
)

// tokenConfig is a client config for the secure port with a bearer token,
// trusting the server's CA.
func tokenConfig(e *env, token string) *rest.Config {
	return &rest.Config{
		Host:            e.SecureURL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(e.DataDir, "pki", "ca.crt")},
		Timeout:         requestTimeout,
		QPS:             -1,
	}
}

// expectForbidden fails unless err is a 403.
func expectForbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: got %v, want 403 Forbidden", what, err)
	}
}

// hasRule reports whether rules hold one with exactly these verbs, API
// groups and resources.
func hasRule(rules []authorizationv1.ResourceRule, verbs, apiGroups, resources []string) bool {
	return slices.ContainsFunc(rules, func(r authorizationv1.ResourceRule) bool {
		return slices.Equal(r.Verbs, verbs) && slices.Equal(r.APIGroups, apiGroups) && slices.Equal(r.Resources, resources)
	})
}

// TestPolicyFile checks the wiring of --authorization-policy-file: the file
// is read by Kubernetes' ABAC authorizer, so a policy without an apiGroup
// is for the core group as it is in kube-apiserver, a policy for
// wardle.example.com grants wardle's resources, and the grants of both are
// listed by SelfSubjectRulesReview (what kubectl auth can-i --list asks).
func TestPolicyFile(t *testing.T) {
	dir := t.TempDir()
	tokens := writeFile(t, dir, "tokens.csv", "cm-token,cmreader,2001\nreader-token,reader,2002,\"readers\"\n")
	policy := writeFile(t, dir, "policy.jsonl", `# no apiGroup: the core group
{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"cmreader","namespace":"*","resource":"configmaps","readonly":true}}

{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"group":"readers","namespace":"*","apiGroup":"wardle.example.com","resource":"*","readonly":true}}
`)
	e := startEnv(t, "--token-auth-file="+tokens, "--authorization-policy-file="+policy)
	ctx := t.Context()
	for _, ns := range []string{"team-a", "team-b"} {
		e.CreateNamespace(t, ns)
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"k": ns}}
		if _, err := e.kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	flunder := betaFlunder("read-me", wardlev1beta1.FlunderSpec{})
	if _, err := e.client.WardleV1beta1().Flunders("team-a").Create(ctx, flunder, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	kubeAs := func(token string) kubernetes.Interface {
		c, err := kubernetes.NewForConfig(tokenConfig(e, token))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wardleAs := func(token string) clientset.Interface {
		c, err := clientset.NewForConfig(tokenConfig(e, token))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// rules asks the server, as the token's user, what it may do in ns.
	rules := func(t *testing.T, token, ns string) []authorizationv1.ResourceRule {
		t.Helper()
		review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}
		got, err := kubeAs(token).AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SelfSubjectRulesReview in %s: %v", ns, err)
		}
		if got.Status.EvaluationError != "" {
			t.Errorf("SelfSubjectRulesReview in %s: evaluation error %s", ns, got.Status.EvaluationError)
		}
		return got.Status.ResourceRules
	}
	readOnly := []string{"get", "list", "watch"}

	t.Run("a policy without apiGroup is for the core group", func(t *testing.T) {
		cm := kubeAs("cm-token").CoreV1()
		for _, ns := range []string{"team-a", "team-b"} {
			got, err := cm.ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			if err != nil || got.Data["k"] != ns {
				t.Errorf("get configmap %s/settings: %v %v", ns, got.Data, err)
			}
			list, err := cm.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
			if err != nil || !slices.ContainsFunc(list.Items, func(c corev1.ConfigMap) bool { return c.Name == "settings" }) {
				t.Errorf("list configmaps in %s: %v", ns, err)
			}
		}
		all, err := cm.ConfigMaps(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Errorf("list configmaps in all namespaces: %v", err)
		} else if n := len(slices.DeleteFunc(all.Items, func(c corev1.ConfigMap) bool { return c.Name != "settings" })); n != 2 {
			t.Errorf("list configmaps in all namespaces: %d named settings, want 2", n)
		}
		_, err = cm.ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mine"}}, metav1.CreateOptions{})
		expectForbidden(t, "create a configmap (readonly)", err)
		_, err = cm.Secrets("team-a").List(ctx, metav1.ListOptions{})
		expectForbidden(t, "list secrets (another resource)", err)
		_, err = wardleAs("cm-token").WardleV1beta1().Flunders("team-a").List(ctx, metav1.ListOptions{})
		expectForbidden(t, "list flunders (another API group)", err)
	})

	t.Run("a policy for wardle.example.com", func(t *testing.T) {
		wardle := wardleAs("reader-token").WardleV1beta1()
		list, err := wardle.Flunders(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) != 1 || list.Items[0].Name != "read-me" {
			t.Errorf("list flunders in all namespaces: %v %v", list, err)
		}
		if _, err := wardle.Fischers().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list fischers (cluster-scoped, namespace \"*\"): %v", err)
		}
		_, err = wardle.Flunders("team-a").Create(ctx, betaFlunder("not-mine", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		expectForbidden(t, "create a flunder (readonly)", err)
		_, err = kubeAs("reader-token").CoreV1().ConfigMaps("team-a").List(ctx, metav1.ListOptions{})
		expectForbidden(t, "list configmaps (the core group)", err)
	})

	t.Run("SelfSubjectRulesReview lists the grants", func(t *testing.T) {
		if got := rules(t, "cm-token", "team-b"); !hasRule(got, readOnly, []string{""}, []string{"configmaps"}) {
			t.Errorf("cmreader's rules in team-b lack get, list, watch of core configmaps: %+v", got)
		}
		if got := rules(t, "reader-token", "team-a"); !hasRule(got, readOnly, []string{group}, []string{"*"}) {
			t.Errorf("reader's rules in team-a lack get, list, watch of %s/*: %+v", group, got)
		}
		if got := rules(t, "reader-token", "team-a"); hasRule(got, readOnly, []string{""}, []string{"configmaps"}) {
			t.Errorf("reader's rules include cmreader's grant: %+v", got)
		}
	})
}
