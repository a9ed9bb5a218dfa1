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
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

// BenchmarkStatusLatency measures how long the in-server flunder-status
// controller takes to bring a Flunder's status up to date: from the
// acknowledgement of a write that changes what the status should be, to the
// status update arriving on a watch of the Flunder. It reports the median
// and the 90th percentile in milliseconds. Run it with, e.g.:
//
//	go test -run '^$' -bench StatusLatency -benchtime 300x ./test/integration/
func BenchmarkStatusLatency(b *testing.B) {
	s := framework.StartTestServer(b, "", ctlInServer)
	config := rest.CopyConfig(s.AdminConfig)
	config.Timeout = requestTimeout
	config.QPS, config.Burst = -1, 0
	client, err := clientset.NewForConfig(config)
	if err != nil {
		b.Fatalf("clientset: %v", err)
	}
	runs := 0

	// A Fischer the Flunder refers to is created and deleted in turn: the
	// controller learns of it through its Fischer informer and index.
	b.Run("FischerToggle", func(b *testing.B) {
		runs++
		ns, fi := fmt.Sprintf("bench-toggle-%d", runs), fmt.Sprintf("bench-toggle-%d", runs)
		s.CreateNamespace(b, ns)
		_, w := benchFlunder(b, client, ns, ctlToFischer(fi))
		defer w.Stop()
		fischers := client.WardleV1beta1().Fischers()
		ctx := context.Background()
		latencies := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			want := metav1.ConditionTrue
			if i%2 == 0 {
				_, err = fischers.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: fi}}, metav1.CreateOptions{})
			} else {
				want = metav1.ConditionFalse
				err = fischers.Delete(ctx, fi, metav1.DeleteOptions{})
			}
			if err != nil {
				b.Fatalf("toggling fischer %s: %v", fi, err)
			}
			acked := time.Now()
			benchAwait(b, w, func(got *wardlev1beta1.Flunder) bool {
				c := ctlResolved(got)
				return c != nil && c.Status == want
			})
			latencies = append(latencies, time.Since(acked))
		}
		b.StopTimer()
		benchReport(b, latencies)
	})

	// The Flunder's own spec changes: the controller learns of it through
	// its Flunder informer and must record the new generation.
	b.Run("SpecChange", func(b *testing.B) {
		runs++
		ns := fmt.Sprintf("bench-spec-%d", runs)
		s.CreateNamespace(b, ns)
		f, w := benchFlunder(b, client, ns, ctlToFischer("bench-a"))
		defer w.Stop()
		flunders := client.WardleV1beta1().Flunders(ns)
		ctx := context.Background()
		latencies := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			if i%2 == 0 {
				f.Spec = ctlToFischer("bench-b")
			} else {
				f.Spec = ctlToFischer("bench-a")
			}
			updated, err := flunders.Update(ctx, f, metav1.UpdateOptions{})
			if err != nil {
				b.Fatalf("updating the spec: %v", err)
			}
			acked := time.Now()
			f = benchAwait(b, w, func(got *wardlev1beta1.Flunder) bool {
				c := ctlResolved(got)
				return got.Status.ObservedGeneration == updated.Generation && c != nil && c.ObservedGeneration == updated.Generation
			})
			latencies = append(latencies, time.Since(acked))
		}
		b.StopTimer()
		benchReport(b, latencies)
	})
}

// benchFlunder creates ns/f with spec, waits until the controller has
// written its first status, and returns it with a watch from there.
func benchFlunder(b *testing.B, client clientset.Interface, ns string, spec wardlev1beta1.FlunderSpec) (*wardlev1beta1.Flunder, watch.Interface) {
	b.Helper()
	ctx := context.Background()
	flunders := client.WardleV1beta1().Flunders(ns)
	created, err := flunders.Create(ctx, betaFlunder("f", spec), metav1.CreateOptions{})
	if err != nil {
		b.Fatalf("create: %v", err)
	}
	w, err := flunders.Watch(ctx, metav1.ListOptions{ResourceVersion: created.ResourceVersion})
	if err != nil {
		b.Fatalf("watch: %v", err)
	}
	f := benchAwait(b, w, func(got *wardlev1beta1.Flunder) bool { return ctlResolved(got) != nil })
	return f, w
}

// benchAwait returns the first Flunder on w that satisfies done, failing
// if none comes within eventTimeout.
func benchAwait(b *testing.B, w watch.Interface, done func(*wardlev1beta1.Flunder) bool) *wardlev1beta1.Flunder {
	b.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				b.Fatalf("the watch ended")
			}
			f, isFlunder := ev.Object.(*wardlev1beta1.Flunder)
			if !isFlunder {
				b.Fatalf("watch event %s of %T: %v", ev.Type, ev.Object, ev.Object)
			}
			if ev.Type == watch.Modified && done(f) {
				return f
			}
		case <-timer.C:
			b.Fatalf("the status was not updated within %v", eventTimeout)
		}
	}
}

// benchReport reports the median and 90th percentile of latencies, in ms.
func benchReport(b *testing.B, latencies []time.Duration) {
	b.Helper()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	percentile := func(p int) time.Duration {
		// Nearest rank: the smallest value with at least p% of them at or below it.
		i := (p*len(latencies)+99)/100 - 1
		return latencies[max(i, 0)]
	}
	b.ReportMetric(ms(percentile(50)), "median-ms")
	b.ReportMetric(ms(percentile(90)), "p90-ms")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "max-ms")
}
