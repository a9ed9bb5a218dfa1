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

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

// leadingLog is what a replica logs when it starts leading, and so runs the
// in-process controllers.
const leadingLog = "Leading: starting the controllers"

// TestReplicasTakeTurnsRunningControllers runs two standalone replicas on
// one etcd (--etcd-servers, over mutual TLS as an etcd should be reached),
// sharing their certificates and service-account key as replicas must. Only the replica holding the Lease
// kube-system/wardle-controller-manager runs the controllers; when it
// stops, the other takes the Lease and runs them.
func TestReplicasTakeTurnsRunningControllers(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	etcdConfig, err := embeddedetcd.NewConfig(filepath.Join(shared, "etcd"), filepath.Join(shared, "etcd-pki"))
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := embeddedetcd.Start(t.Context(), etcdConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	flags := []string{
		"--etcd-servers=" + etcdConfig.ClientURL.String(),
		"--etcd-cafile=" + etcdConfig.CAFile(),
		"--etcd-certfile=" + etcdConfig.ClientCertFile(),
		"--etcd-keyfile=" + etcdConfig.ClientKeyFile(),
		"--cert-dir=" + filepath.Join(shared, "pki"),
		"--controllers=*",
		// Shorter than the defaults (15s, 10s, 2s) so that a takeover after
		// a crash fits in a test; a clean stop hands the Lease over at once.
		"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s", "--leader-elect-retry-period=500ms",
	}

	first := startServer(t, "", flags...)
	waitForLog(t, first, leadingLog)
	second := startServer(t, "", flags...)
	k2 := newKubectl(t, "--kubeconfig", second.kubeconfigPath())

	holder := k2.ok(t, "get", "lease", "wardle-controller-manager", "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}")
	if holder == "" {
		t.Fatal("the Lease kube-system/wardle-controller-manager has no holder")
	}
	// The controllers run on the first replica: a Flunder written through
	// the second gets its status.
	k2.ok(t, "apply", "-f", example("fischer.yaml"))
	k2.ok(t, "apply", "-f", example("flunder-v1alpha1.yaml"))
	k2.ok(t, "wait", "--for=condition=ReferenceResolved", "flunder/my-first-flunder", "--timeout=30s")
	if log := second.log(); strings.Contains(log, leadingLog) || strings.Contains(log, `"Starting controller" controller=`) {
		t.Fatalf("the second replica runs controllers while the first holds the Lease:\n%s", logTail(log))
	}

	stopped := time.Now()
	first.Stop()
	waitForLog(t, second, leadingLog)
	took := time.Since(stopped)
	if newHolder := k2.ok(t, "get", "lease", "wardle-controller-manager", "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}"); newHolder == holder || newHolder == "" {
		t.Errorf("the Lease's holder after the first replica stopped: %q, before: %q", newHolder, holder)
	}
	k2.ok(t, "delete", "fischer", "strict")
	k2.ok(t, "wait", "--for=condition=ReferenceResolved=False", "flunder/my-first-flunder", "--timeout=30s")
	t.Logf("the second replica took over %v after the first was stopped", took.Round(time.Millisecond))
}

// waitForLog waits until s has logged want, or fails after pollTimeout.
func waitForLog(t *testing.T, s *apiServer, want string) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for !strings.Contains(s.log(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("wardle-apiserver did not log %q within %v:\n%s", want, pollTimeout, logTail(s.log()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
