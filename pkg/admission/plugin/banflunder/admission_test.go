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

package banflunder

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	clienttesting "k8s.io/client-go/testing"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// changeTimeout bounds the wait for the informer to see a change made
// through the fake clientset.
const changeTimeout = 10 * time.Second

var (
	flunders       = wardle.Resource("flunders").WithVersion("v1beta1")
	fischers       = wardle.Resource("fischers").WithVersion("v1beta1")
	flunderKind    = wardle.Kind("Flunder").WithVersion("v1beta1")
	fischerKind    = wardle.Kind("Fischer").WithVersion("v1beta1")
	otherFlunders  = schema.GroupVersionResource{Group: "other.example.com", Version: "v1", Resource: "flunders"}
	otherFlunderGK = schema.GroupVersionKind{Group: "other.example.com", Version: "v1", Kind: "Flunder"}
)

func fischer(name string, disallowed ...string) *v1beta1.Fischer {
	return &v1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}, DisallowedFlunders: disallowed}
}

// request describes one admission request; zero values mean a create of a
// v1beta1 flunder in namespace "ns" by alice.
type request struct {
	resource     schema.GroupVersionResource
	kind         schema.GroupVersionKind
	subresource  string
	operation    admission.Operation
	namespace    string
	name         string // the final name, as the validating stage sees it
	generateName string
	dryRun       bool
	object       runtime.Object // overrides the Flunder built from name
}

func (r request) attributes() admission.Attributes {
	if r.resource.Empty() {
		r.resource, r.kind = flunders, flunderKind
	}
	if r.operation == "" {
		r.operation = admission.Create
	}
	if r.namespace == "" && r.resource.Resource == "flunders" {
		r.namespace = "ns"
	}
	obj := r.object
	if obj == nil {
		obj = &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: r.name, GenerateName: r.generateName, Namespace: r.namespace}}
	}
	// The create handler builds the attributes from the request, before
	// the name is generated: with generateName, the attributes have no
	// name and only the object carries the final one.
	attrName := r.name
	if r.generateName != "" {
		attrName = ""
	}
	return admission.NewAttributesRecord(obj, nil, r.kind, r.namespace, attrName, r.resource, r.subresource,
		r.operation, &metav1.CreateOptions{}, r.dryRun, &user.DefaultInfo{Name: "alice"})
}

// fixture is a BanFlunder fed by a started informer over a fake clientset.
type fixture struct {
	client *fake.Clientset
	plugin *BanFlunder
}

// newPlugin returns a plugin wired to an informer factory over a fake
// clientset holding objs; the factory is not started.
func newPlugin(t *testing.T, objs ...runtime.Object) (*fixture, informers.SharedInformerFactory, <-chan struct{}) {
	t.Helper()
	client := fake.NewSimpleClientset(objs...)
	// The fake watch does not replay events missed between the list and the
	// watch, so changes must wait until the watch is open: watchStarted
	// closes once it is.
	watchStarted := make(chan struct{})
	var once sync.Once
	client.PrependWatchReactor("fischers", func(action clienttesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if w, ok := action.(clienttesting.WatchActionImpl); ok {
			opts = w.ListOptions
		}
		w, err := client.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		once.Do(func() { close(watchStarted) })
		return true, w, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	plugin := New()
	plugin.SetWardleInformerFactory(factory)
	if err := plugin.ValidateInitialization(); err != nil {
		t.Fatalf("ValidateInitialization: %v", err)
	}
	// Runs after the test's context is cancelled: waits for the informer
	// goroutines to end.
	t.Cleanup(factory.Shutdown)
	return &fixture{client: client, plugin: plugin}, factory, watchStarted
}

// newSyncedPlugin returns a plugin whose informer has synced and watches.
func newSyncedPlugin(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	f, factory, watchStarted := newPlugin(t, objs...)
	factory.Start(t.Context().Done())
	for informer, ok := range factory.WaitForCacheSync(t.Context().Done()) {
		if !ok {
			t.Fatalf("%v did not sync", informer)
		}
	}
	select {
	case <-watchStarted:
	case <-time.After(changeTimeout):
		t.Fatal("the Fischer informer did not start watching")
	}
	return f
}

func (f *fixture) validate(ctx context.Context, r request) error {
	return f.plugin.Validate(ctx, r.attributes(), nil)
}

// expectBanned fails unless err is the 403 BanFlunder gives when the
// Fischers (sorted, comma-separated) disallow name.
func expectBanned(t *testing.T, err error, name, fischers string) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want a Forbidden error naming Fischer %s, got %v", fischers, err)
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("not an API status: %T", err)
	}
	s := status.Status()
	if s.Code != http.StatusForbidden {
		t.Errorf("code %d, want 403", s.Code)
	}
	want := `flunders.wardle.example.com "` + name + `" is forbidden: the name "` + name + `" is disallowed by Fischer ` + fischers
	if s.Message != want {
		t.Errorf("message\n  got  %q\n  want %q", s.Message, want)
	}
	if d := s.Details; d == nil || d.Group != wardle.GroupName || d.Kind != "flunders" || d.Name != name {
		t.Errorf("details %+v, want group %s kind flunders name %s", d, wardle.GroupName, name)
	}
}

// eventually polls check until it returns nil, failing the test with its
// last error after changeTimeout.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 5*time.Millisecond, changeTimeout, true, func(context.Context) (bool, error) {
		last = check()
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %v: %v", what, changeTimeout, last)
	}
}

// bannedBy returns a check that validating name is refused by exactly fischers.
func (f *fixture) bannedBy(ctx context.Context, name, fischers string) func() error {
	return func() error {
		err := f.validate(ctx, request{name: name})
		if err == nil {
			return errors.New("allowed")
		}
		if !apierrors.IsForbidden(err) || !strings.HasSuffix(err.Error(), "disallowed by Fischer "+fischers) {
			return err
		}
		return nil
	}
}

// allowed returns a check that validating name passes.
func (f *fixture) allowed(ctx context.Context, name string) func() error {
	return func() error { return f.validate(ctx, request{name: name}) }
}

func TestValidate(t *testing.T) {
	f := newSyncedPlugin(t,
		fischer("single", "badname", "other-bad"),
		// Listed out of order: the message sorts them.
		fischer("zeta", "contested"),
		fischer("alpha", "contested", "unrelated"),
		fischer("middle", "contested"),
		fischer("generated", "gen-x7k2q"),
		fischer("prefix", "gen-"),
		fischer("empty"),
	)
	tests := []struct {
		name string
		req  request
		// banned is the Fischers the 403 must name; empty means allowed.
		banned     string
		badRequest bool
	}{
		{name: "allowed name", req: request{name: "goodname"}},
		{name: "banned name", req: request{name: "badname"}, banned: "single"},
		{name: "second name of the same Fischer", req: request{name: "other-bad"}, banned: "single"},
		{name: "banned in another namespace", req: request{name: "badname", namespace: "elsewhere"}, banned: "single"},
		{name: "banned on a dry run", req: request{name: "badname", dryRun: true}, banned: "single"},
		{name: "banned by several Fischers, sorted", req: request{name: "contested"}, banned: "alpha, middle, zeta"},
		{name: "exact match only: longer", req: request{name: "badname2"}},
		{name: "exact match only: prefix", req: request{name: "badnam"}},
		{name: "exact match only: case", req: request{name: "BadName"}},
		{
			name:   "generateName: the final name is checked",
			req:    request{generateName: "gen-", name: "gen-x7k2q"},
			banned: "generated",
		},
		{
			name: "generateName: a banned prefix is not the name",
			req:  request{generateName: "gen-", name: "gen-abcde"},
		},
		{
			name: "fischers are not checked",
			req:  request{resource: fischers, kind: fischerKind, name: "badname", object: &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "badname"}}},
		},
		{
			name: "flunders of another group are not checked",
			req:  request{resource: otherFlunders, kind: otherFlunderGK, name: "badname"},
		},
		{
			name: "subresources are not checked",
			req:  request{subresource: "status", name: "badname"},
		},
		{
			name:       "object without metadata",
			req:        request{name: "badname", object: &metav1.Status{}},
			badRequest: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.validate(t.Context(), tc.req)
			switch {
			case tc.badRequest:
				if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), PluginName) {
					t.Errorf("want a BadRequest naming %s, got %v", PluginName, err)
				}
			case tc.banned != "":
				expectBanned(t, err, tc.req.name, tc.banned)
			case err != nil:
				t.Errorf("want allowed, got %v", err)
			}
		})
	}
}

func TestHandles(t *testing.T) {
	p := New()
	for op, want := range map[admission.Operation]bool{
		admission.Create:  true,
		admission.Update:  false,
		admission.Delete:  false,
		admission.Connect: false,
	} {
		if got := p.Handles(op); got != want {
			t.Errorf("Handles(%s) = %v, want %v", op, got, want)
		}
	}
}

func TestValidateInitialization(t *testing.T) {
	p := New()
	err := p.ValidateInitialization()
	if err == nil || !strings.Contains(err.Error(), PluginName) || !strings.Contains(err.Error(), "informer") {
		t.Errorf("without a factory: ValidateInitialization() = %v, want an error about the missing informer", err)
	}
	p.SetWardleInformerFactory(informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0))
	if err := p.ValidateInitialization(); err != nil {
		t.Errorf("with a factory: ValidateInitialization() = %v", err)
	}
}

// TestFischerChanges checks that creates, updates and deletes of Fischers
// reach the plugin through the informer.
func TestFischerChanges(t *testing.T) {
	ctx := t.Context()
	f := newSyncedPlugin(t, fischer("banner", "badname"), fischer("other", "shared"), fischer("twin-a", "twin"), fischer("twin-b", "twin"))
	fc := f.client.WardleV1beta1().Fischers()

	// The starting point, so that every change below is a change.
	for _, check := range []func() error{
		f.bannedBy(ctx, "badname", "banner"),
		f.bannedBy(ctx, "shared", "other"),
		f.bannedBy(ctx, "twin", "twin-a, twin-b"),
		f.allowed(ctx, "added"),
		f.allowed(ctx, "created"),
	} {
		if err := check(); err != nil {
			t.Fatalf("before any change: %v", err)
		}
	}

	t.Run("delete lifts the ban", func(t *testing.T) {
		if err := fc.Delete(ctx, "banner", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "badname allowed after its Fischer is deleted", f.allowed(ctx, "badname"))
		if err := f.bannedBy(ctx, "shared", "other")(); err != nil {
			t.Errorf("another Fischer's ban must stay: %v", err)
		}
	})
	t.Run("delete of one of two banning Fischers", func(t *testing.T) {
		if err := fc.Delete(ctx, "twin-a", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "twin banned by twin-b only", f.bannedBy(ctx, "twin", "twin-b"))
	})
	t.Run("update adding a name bans it", func(t *testing.T) {
		if _, err := fc.Update(ctx, fischer("other", "shared", "added"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "added banned", f.bannedBy(ctx, "added", "other"))
	})
	t.Run("update removing a name lifts the ban", func(t *testing.T) {
		if _, err := fc.Update(ctx, fischer("other", "added"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "shared allowed", f.allowed(ctx, "shared"))
		if err := f.bannedBy(ctx, "added", "other")(); err != nil {
			t.Errorf("the name kept in the list must stay banned: %v", err)
		}
	})
	t.Run("create bans", func(t *testing.T) {
		if _, err := fc.Create(ctx, fischer("newcomer", "created", "added"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "created banned", f.bannedBy(ctx, "created", "newcomer"))
		eventually(t, "added banned by both", f.bannedBy(ctx, "added", "newcomer, other"))
	})
}

func TestNotReady(t *testing.T) {
	const short = 50 * time.Millisecond
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name         string
		readyTimeout time.Duration
		ctx          context.Context
		req          request
		// refused is whether the request is refused as not ready;
		// otherwise it must pass without waiting.
		refused bool
	}{
		{name: "flunder create waits, then is refused", readyTimeout: short, req: request{name: "goodname"}, refused: true},
		{name: "banned name, same refusal", readyTimeout: short, req: request{name: "badname"}, refused: true},
		{name: "cancelled request is refused at once", readyTimeout: time.Hour, ctx: cancelled, req: request{name: "goodname"}, refused: true},
		{
			name:         "fischers do not wait",
			readyTimeout: time.Hour,
			req:          request{resource: fischers, kind: fischerKind, name: "badname", object: &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "badname"}}},
		},
		{name: "subresources do not wait", readyTimeout: time.Hour, req: request{subresource: "status", name: "goodname"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The factory is never started: the informer never syncs.
			f, _, _ := newPlugin(t, fischer("banner", "badname"))
			f.plugin.readyTimeout = tc.readyTimeout
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			start := time.Now()
			err := f.validate(ctx, tc.req)
			elapsed := time.Since(start)
			if elapsed > 5*time.Second {
				t.Errorf("took %v: the test's readyTimeout was not honoured", elapsed)
			}
			if !tc.refused {
				if err != nil {
					t.Errorf("want allowed, got %v", err)
				}
				return
			}
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "BanFlunder is not yet ready") {
				t.Fatalf("want a Forbidden saying BanFlunder is not yet ready, got %v", err)
			}
			if !strings.Contains(err.Error(), `flunders.wardle.example.com "`+tc.req.name+`" is forbidden`) {
				t.Errorf("the refusal should name the flunder: %v", err)
			}
			if tc.ctx == nil && elapsed < tc.readyTimeout {
				t.Errorf("refused after %v, before readyTimeout %v", elapsed, tc.readyTimeout)
			}
		})
	}
}

// TestBecomesReadyWhileWaiting checks that a create arriving before the
// informer has synced waits for it, and is then judged on the Fischers.
func TestBecomesReadyWhileWaiting(t *testing.T) {
	f, factory, _ := newPlugin(t, fischer("banner", "badname"))
	// Hold the informer's list until the request is waiting.
	release := make(chan struct{})
	var releaseOnce sync.Once
	doRelease := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(doRelease) // runs before factory.Shutdown
	f.client.PrependReactor("list", "fischers", func(clienttesting.Action) (bool, runtime.Object, error) {
		<-release
		return false, nil, nil
	})
	synced := f.plugin.hasSynced
	var calls atomic.Int32
	f.plugin.hasSynced = func() bool {
		if calls.Add(1) == 2 { // the first check failed; the wait has begun
			doRelease()
		}
		return synced()
	}
	factory.Start(t.Context().Done())

	expectBanned(t, f.validate(t.Context(), request{name: "badname"}), "badname", "banner")
	if n := calls.Load(); n < 2 {
		t.Errorf("hasSynced called %d times: the request did not wait", n)
	}
	if err := f.validate(t.Context(), request{name: "goodname"}); err != nil {
		t.Errorf("once synced, an allowed name must pass: %v", err)
	}
}
