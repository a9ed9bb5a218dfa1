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

package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// closingListener accepts connections on 127.0.0.1 and closes each at
// once, as a port with nothing behind it that speaks TLS; it returns its
// address and how many connections it accepted.
func closingListener(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := new(atomic.Int32)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	return l.Addr().String(), accepted
}

// writeKubeconfig writes a kubeconfig for server, trusting any
// certificate, and returns its path.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	config := clientcmdapi.NewConfig()
	config.Clusters["c"] = &clientcmdapi.Cluster{Server: server, InsecureSkipTLSVerify: true}
	config.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "token"}
	config.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	config.CurrentContext = "c"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestModeAggregatedChecksTheCluster checks that --mode=aggregated reaches
// the cluster of each configuration once, at start, within
// clusterCheckTimeout, and otherwise fails naming what it could not reach.
func TestModeAggregatedChecksTheCluster(t *testing.T) {
	versions := new(atomic.Int32)
	cluster := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" || r.Header.Get("Authorization") != "Bearer token" {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`, http.StatusUnauthorized)
			return
		}
		versions.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.1"}`))
	}))
	t.Cleanup(cluster.Close)
	closing, accepted := closingListener(t)
	good := writeKubeconfig(t, cluster.URL)

	t.Run("reachable", func(t *testing.T) {
		fakeInCluster(t, "")
		o, err := completedOptions(t, "--mode=aggregated", "--kubeconfig="+good)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		before := versions.Load()
		if err := o.checkClusterReachable(context.Background()); err != nil {
			t.Fatalf("checkClusterReachable: %v", err)
		}
		// --kubeconfig serves authentication and authorization too: one GET.
		if got := versions.Load() - before; got != 1 {
			t.Errorf("GET /version sent %d times, want once", got)
		}
	})

	t.Run("closes the connection", func(t *testing.T) {
		fakeInCluster(t, "")
		bad := writeKubeconfig(t, "https://"+closing)
		o, err := completedOptions(t, "--mode=aggregated", "--kubeconfig="+bad)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = o.checkClusterReachable(context.Background())
		want := "--mode=aggregated: cannot reach the Kubernetes API at https://" + closing + " (from --kubeconfig " + bad +
			", for the core API, delegated authentication, delegated authorization): "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("checkClusterReachable() = %v, want %q", err, want)
		}
		if took := time.Since(start); took > clusterCheckTimeout {
			t.Errorf("took %v, want within %v", took, clusterCheckTimeout)
		}
		if accepted.Load() == 0 {
			t.Error("the listener saw no connection")
		}
	})

	t.Run("in-cluster configuration", func(t *testing.T) {
		fakeInCluster(t, "https://"+closing)
		o, err := completedOptions(t, "--mode=aggregated", "--authorization-kubeconfig="+good)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		err = o.checkClusterReachable(context.Background())
		want := "--mode=aggregated: cannot reach the Kubernetes API at https://" + closing +
			" (from the in-cluster configuration, for the core API, delegated authentication): "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("checkClusterReachable() = %v, want %q", err, want)
		}
	})

	t.Run("refused", func(t *testing.T) {
		fakeInCluster(t, cluster.URL+"/nowhere")
		o, err := completedOptions(t, "--mode=aggregated", "--authentication-kubeconfig="+good, "--authorization-kubeconfig="+good)
		if err != nil {
			t.Fatal(err)
		}
		err = o.checkClusterReachable(context.Background())
		want := "--mode=aggregated: GET /version was refused by the Kubernetes API at " + cluster.URL + "/nowhere (from the in-cluster configuration, for the core API): "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("checkClusterReachable() = %v, want %q", err, want)
		}
	})

	t.Run("unreadable kubeconfig", func(t *testing.T) {
		fakeInCluster(t, "")
		o, err := completedOptions(t, "--mode=aggregated", "--kubeconfig=/nonexistent/kubeconfig")
		if err != nil {
			t.Fatal(err)
		}
		err = o.checkClusterReachable(context.Background())
		want := "--mode=aggregated: cannot load --kubeconfig /nonexistent/kubeconfig: "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("checkClusterReachable() = %v, want %q", err, want)
		}
	})
}

// TestModeStandaloneRefusesInClusterFallback checks that a standalone
// server in a pod refuses a webhook kubeconfig that client-go would
// replace with the in-cluster configuration, and only that.
func TestModeStandaloneRefusesInClusterFallback(t *testing.T) {
	fakeInCluster(t, "https://10.0.0.1:443")
	empty := filepath.Join(t.TempDir(), "empty.kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeKubeconfig(t, "https://127.0.0.1:1")
	flags := []string{"--audit-webhook-config-file", "--authentication-token-webhook-config-file", "--authorization-webhook-config-file"}
	for _, possible := range []bool{true, false} {
		saved := inClusterPossible
		inClusterPossible = func() bool { return possible }
		for _, flag := range flags {
			o, err := completedOptions(t, "--mode=standalone", flag+"="+empty)
			if err != nil {
				t.Fatal(err)
			}
			err = o.Validate()
			want := flag + " " + empty + " names no server of its own"
			if got := err != nil && strings.Contains(err.Error(), want); got != possible {
				t.Errorf("in-cluster possible %v, %s=<empty file>: Validate() = %v; want the refusal %q: %v", possible, flag, err, want, possible)
			}
			o, err = completedOptions(t, "--mode=standalone", flag+"="+good)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Validate(); err != nil {
				t.Errorf("%s with a kubeconfig naming a server: %v", flag, err)
			}
		}
		inClusterPossible = saved
	}
}
