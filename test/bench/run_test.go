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

package bench

import (
	"context"
	"os"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

// testWorkload is every workload, briefly.
func testWorkload(kind Kind) Workload {
	w := Workload{
		Kind:        kind,
		Concurrency: 4,
		Duration:    time.Second,
		ObjectSize:  1024,
		ListObjects: 200,
		Watchers:    20,
		EventRate:   50,
	}
	switch kind {
	case Create:
		// Fewer objects to clean up.
		w.Count = 300
	case Delete:
		// Count-bound, so setup creates only what is deleted.
		w.Count = 200
	}
	return w
}

// checkResult checks what every workload should get on a healthy target.
func checkResult(t *testing.T, res Result, usage string) {
	t.Helper()
	t.Logf("%s %s: ops=%d %.0f/s p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms elapsed=%v errors=%d lost=%d usage=%+v",
		res.Target, res.Workload.Kind, res.Ops, res.Throughput, res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Latency.Max,
		res.Elapsed, res.Errors, res.Lost, res.Usage)
	if res.Ops <= 0 {
		t.Errorf("Ops = %d, want > 0", res.Ops)
	}
	if res.Errors != 0 || len(res.ErrorSamples) != 0 {
		t.Errorf("Errors = %d, samples %q; want none", res.Errors, res.ErrorSamples)
	}
	if res.Lost != 0 {
		t.Errorf("Lost = %d, want 0", res.Lost)
	}
	if res.Elapsed <= 0 || res.Elapsed > time.Minute || res.Throughput <= 0 {
		t.Errorf("Elapsed = %v, Throughput = %v", res.Elapsed, res.Throughput)
	}
	l := res.Latency
	if l.P50 < 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max || l.Max <= 0 || l.Max > 10_000 {
		t.Errorf("Latency = %+v, want 0 <= p50 <= p90 <= p99 <= max, 0 < max < 10 s", l)
	}
	if res.Workload.Kind != Watch && l.P50 <= 0 {
		t.Errorf("Latency p50 = %v, want > 0", l.P50)
	}
	if usage != "" {
		u, ok := res.Usage[usage]
		if !ok || u.PeakRSSBytes <= 0 || u.RSSBytes <= 0 || u.RSSBytes > u.PeakRSSBytes || u.CPUSeconds < 0 {
			t.Errorf("Usage = %+v, want %q with memory", res.Usage, usage)
		}
	}
}

func TestRunWardle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a wardle-apiserver")
	}
	// Alongside TestRunEtcd, which mostly waits for fsync.
	t.Parallel()
	s := framework.StartTestServer(t, "", "--controllers=")
	ctx := context.Background()
	wardle, err := versioned.NewForConfig(s.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []struct{ name, contentType string }{
		{"json", contentTypeJSON},
		{"protobuf", contentTypeProtobuf},
	} {
		target := Target{
			Name:        "wardle-" + ct.name,
			Config:      s.AdminConfig,
			Resource:    v1beta1.SchemeGroupVersion.WithResource("flunders"),
			Kind:        "Flunder",
			Namespace:   "bench",
			ContentType: ct.contentType,
			// The server runs in this process.
			Processes: map[string]int{"wardle-apiserver": os.Getpid()},
		}
		for _, kind := range Kinds {
			t.Run(ct.name+"/"+string(kind), func(t *testing.T) {
				res, err := Run(ctx, target, testWorkload(kind))
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				checkResult(t, res, "wardle-apiserver")
				// Cleanup left nothing behind.
				left, err := wardle.WardleV1beta1().Flunders("bench").List(ctx, metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if n := len(left.Items); n != 0 {
					t.Errorf("%d flunders left after the run", n)
				}
			})
		}
	}
}

func TestRunEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd")
	}
	t.Parallel()
	cfg, err := embeddedetcd.NewInsecureConfig(t.TempDir()) // the bench client speaks plain gRPC to etcd
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogLevel = "error" // slow-fsync warnings are not the test's business
	ctx := context.Background()
	etcd, err := embeddedetcd.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	target := Target{
		Name:          "etcd",
		EtcdEndpoints: []string{cfg.ClientURL.String()},
		EtcdPrefix:    "/bench-test",
		Processes:     map[string]int{"etcd": os.Getpid()},
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: target.EtcdEndpoints, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			res, err := Run(ctx, target, testWorkload(kind))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkResult(t, res, "etcd")
			left, err := client.Get(ctx, "/bench-test/", clientv3.WithPrefix(), clientv3.WithCountOnly())
			if err != nil {
				t.Fatal(err)
			}
			if left.Count != 0 {
				t.Errorf("%d keys left after the run", left.Count)
			}
		})
	}
}
