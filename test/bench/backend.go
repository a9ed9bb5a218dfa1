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
	"time"
)

// Connection spreading. HTTP/2 multiplexes every request of a transport
// onto one connection (a new one only once the server's stream limit is
// reached), and etcd's gRPC client likewise, so a client is made per so
// many workers or watches, each with a transport of its own.
const (
	// workersPerClient: 25 is also client-go's idle connections per host,
	// so a plain-HTTP/1.1 target keeps its connections too.
	workersPerClient = 25
	// watchesPerClient is the long-running watch streams per client.
	watchesPerClient = 100
)

// opTimeout bounds one measured or setup operation.
const opTimeout = 2 * time.Minute

// backend does the operations of the workloads against one target, over
// clients separate clients. Every operation takes the client index to use
// (taken modulo the number of clients).
type backend interface {
	// create creates an object named name. With wantRV it returns the
	// created object's resourceVersion; otherwise it reads and discards
	// the response.
	create(ctx context.Context, client int, name string, wantRV bool) (rv string, err error)
	// get reads an object.
	get(ctx context.Context, client int, name string) error
	// update writes the version'th padding to an object whose current
	// resourceVersion is rv, and returns its new resourceVersion. An empty
	// rv reads the object first (after a failed update).
	update(ctx context.Context, client int, name, rv string, version int) (string, error)
	// list reads the whole collection.
	list(ctx context.Context, client int) error
	// delete deletes an object.
	delete(ctx context.Context, client int, name string) error

	// currentRV is the collection's resourceVersion now (a consistent read).
	currentRV(ctx context.Context) (string, error)
	// watch watches the collection from just after rv until ctx ends or
	// the stream fails, calling onEvent in its own goroutine for each
	// event as soon as it is read.
	watch(ctx context.Context, client int, rv string, onEvent func(ev watchEvent)) error

	// cleanup deletes the objects of the run, best effort: names are the
	// objects it knows it created (some may be gone already).
	cleanup(ctx context.Context, names []string) error
	close()
}

// watchEvent is what a watcher needs of one event.
type watchEvent struct {
	added bool
	name  string
	rv    string
	at    time.Time
}

// clientsFor returns how many clients n workers or watches need.
func clientsFor(n, per int) int {
	return max(1, (n+per-1)/per)
}
