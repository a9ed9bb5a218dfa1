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
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestDeleteAll(t *testing.T) {
	names := make([]string, 500)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	var (
		mu       sync.Mutex
		deleted  = map[string]bool{}
		inFlight = map[int]bool{}
		failure  = errors.New("n7 failed")
	)
	err := deleteAll(context.Background(), names, func(_ context.Context, client int, name string) error {
		mu.Lock()
		if client < 0 || client >= cleanupParallelism || inFlight[client] {
			t.Errorf("client %d out of range or already in flight", client)
		}
		inFlight[client] = true
		deleted[name] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight[client] = false
		mu.Unlock()
		if name == "n7" {
			return failure
		}
		return nil
	})
	if !errors.Is(err, failure) {
		t.Errorf("deleteAll = %v, want %v", err, failure)
	}
	if len(deleted) != len(names) {
		t.Errorf("deleted %d names, want all %d: an error must stop no other delete", len(deleted), len(names))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := deleteAll(ctx, names, func(context.Context, int, string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("deleteAll with a cancelled context = %v, want context.Canceled", err)
	}
}
