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

package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/launcher"
)

// TestRun runs the example against the real server binary (see
// the launcher module): it must list what is there, create a flunder and see its
// creation in the watch.
func TestRun(t *testing.T) {
	s := launcher.Start(t)
	const ns = "example"
	s.CreateNamespaces(t, ns)
	client, err := clientset.NewForConfig(s.AdminConfig)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	if _, err := client.WardleV1beta1().Flunders(ns).Create(t.Context(), &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "already-there"},
		Spec:       wardlev1beta1.FlunderSpec{FlunderReference: "other"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := time.Now()
	err = run(ctx, []string{"--kubeconfig", s.Kubeconfig, "--namespace", ns, "--fischer", "fish", "--watch-for", "2s"}, &out)
	if err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	if elapsed := time.Since(start); elapsed < 2*time.Second {
		t.Errorf("run returned after %v, before --watch-for ran out", elapsed)
	}
	output := out.String()
	t.Logf("output:\n%s", output)

	// The list, as a table.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^1 flunder\(s\) in namespace "example":$`),
		regexp.MustCompile(`(?m)^NAME\s+REFERENCE TYPE\s+REFERENCE$`),
		regexp.MustCompile(`(?m)^already-there\s+Flunder\s+other$`),
	} {
		if !want.MatchString(output) {
			t.Errorf("output does not match %s", want)
		}
	}
	// The creation, and its ADDED event in the watch.
	created := regexp.MustCompile(`(?m)^created flunder example/(example-[a-z0-9]{5}) \(referenceType Fischer, reference fish\)$`).FindStringSubmatch(output)
	if created == nil {
		t.Fatalf("output does not name the created flunder")
	}
	name := created[1]
	added := regexp.MustCompile(`(?m)^ADDED\s+` + regexp.QuoteMeta(name) + ` \(resourceVersion \d+, referenceType Fischer, reference fish\)$`)
	if !added.MatchString(output) {
		t.Errorf("output has no ADDED event for %s", name)
	}
	if regexp.MustCompile(`(?m)^ADDED\s+already-there `).MatchString(output) {
		t.Errorf("the watch replayed a flunder that was in the list")
	}
	if !strings.HasSuffix(output, "stopped watching\n") {
		t.Errorf("output does not end with the end of the watch")
	}

	f, err := client.WardleV1beta1().Flunders(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	if f.Spec != (wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType}) {
		t.Errorf("created spec %+v", f.Spec)
	}
}

func TestRunBadKubeconfig(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"--kubeconfig", t.TempDir() + "/missing.kubeconfig"}, &out)
	if err == nil || !strings.Contains(err.Error(), "missing.kubeconfig") {
		t.Errorf("run with a missing kubeconfig: %v", err)
	}
}
