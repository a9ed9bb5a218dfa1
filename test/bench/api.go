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
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	wardlescheme "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/scheme"
)

// deleteCollectionThreshold is from how many objects cleanup deletes a
// run's objects as one collection (by RunLabel) rather than one by one.
const deleteCollectionThreshold = 1000

// cleanupParallelism is how many deletes cleanup sends at once.
const cleanupParallelism = 32

// apiBackend runs workloads against an API server resource with client-go's
// REST client: bodies are pre-encoded bytes, and responses are read to the
// end but decoded only where a workload needs something from them (the
// resourceVersion of an update, the name of a watch event).
type apiBackend struct {
	clients  []*rest.RESTClient
	resource string
	ns       string
	codec    *codec
	names    names
	tmpl     *template
}

func newAPIBackend(t Target, run string, objectSize, clients int) (*apiBackend, error) {
	if t.Resource.Resource == "" || t.Resource.Version == "" {
		return nil, fmt.Errorf("target %q has no resource", t.Name)
	}
	kind := t.Kind
	if kind == "" {
		kind = "Flunder"
	}
	var proto bool
	switch t.ContentType {
	case "", contentTypeJSON:
	case contentTypeProtobuf:
		proto = true
	default:
		return nil, fmt.Errorf("unsupported content type %q (want %s or %s)", t.ContentType, contentTypeJSON, contentTypeProtobuf)
	}
	gv := t.Resource.GroupVersion()
	b := &apiBackend{resource: t.Resource.Resource, ns: t.Namespace, names: names{run}}
	b.codec = newCodec(gv.String(), kind, t.Namespace, run, proto, objectSize)
	var err error
	if b.tmpl, err = b.codec.template(b.names); err != nil {
		return nil, err
	}
	if t.Namespace != "" {
		if err := ensureNamespace(t.Config, t.Namespace); err != nil {
			return nil, err
		}
	}
	for range clients {
		c, err := newRESTClient(t.Config, gv.Group, gv.Version, proto)
		if err != nil {
			return nil, err
		}
		b.clients = append(b.clients, c)
	}
	return b, nil
}

// ensureNamespace creates the namespace the objects go to, where the server
// serves namespaces (kube-apiserver, a standalone wardle-apiserver) and
// refuses objects in one that does not exist.
func ensureNamespace(config *rest.Config, name string) error {
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// newRESTClient returns a client of its own transport (so of its own
// connections) for group/version, with no client-side rate limit, no
// response compression (which would cost both sides CPU on loopback and
// differ from etcd, which has none), and no overall timeout (watches are
// long; each operation has its own).
func newRESTClient(base *rest.Config, group, version string, proto bool) (*rest.RESTClient, error) {
	cfg := rest.CopyConfig(base)
	cfg.QPS = -1
	cfg.Burst = 0
	cfg.RateLimiter = nil
	cfg.Timeout = 0
	cfg.DisableCompression = true
	cfg.UserAgent = "wardle-bench"
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.GroupVersion = &schema.GroupVersion{Group: group, Version: version}
	cfg.APIPath = "/apis"
	if group == "" {
		cfg.APIPath = "/api"
	}
	if proto {
		cfg.ContentType = contentTypeProtobuf
		cfg.AcceptContentTypes = contentTypeProtobuf
	} else {
		cfg.ContentType = contentTypeJSON
		cfg.AcceptContentTypes = contentTypeJSON
	}
	// The wardle scheme decodes error responses (metav1.Status) in either
	// content type; successful responses are not decoded through it.
	cfg.NegotiatedSerializer = wardlescheme.Codecs.WithoutConversion()
	// client-go shares one transport among configs with the same TLS
	// settings; a dialer of its own gives this client its own transport,
	// hence its own connections.
	if cfg.Transport == nil {
		dial := cfg.Dial
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dial(ctx, network, addr)
		}
	}
	return rest.RESTClientFor(cfg)
}

func (b *apiBackend) client(i int) *rest.RESTClient { return b.clients[i%len(b.clients)] }

func (b *apiBackend) collection(i int, verb string) *rest.Request {
	r := b.client(i).Verb(verb).Resource(b.resource)
	if b.ns != "" {
		r = r.Namespace(b.ns)
	}
	return r
}

// body sets an encoded body (client-go sets Content-Type only for the
// bodies it encodes itself).
func (b *apiBackend) body(r *rest.Request, body []byte) *rest.Request {
	ct := contentTypeJSON
	if b.codec.protobuf {
		ct = contentTypeProtobuf
	}
	return r.SetHeader("Content-Type", ct).Body(body)
}

// discard reads a response to the end without decoding it.
func discard(body io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, body)
	if cerr := body.Close(); err == nil {
		err = cerr
	}
	return err
}

func (b *apiBackend) create(ctx context.Context, client int, name string, wantRV bool) (string, error) {
	req := b.body(b.collection(client, "POST"), b.tmpl.with(name))
	if !wantRV {
		return "", discard(req.Stream(ctx))
	}
	raw, err := req.Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	return b.codec.resourceVersion(raw, false)
}

func (b *apiBackend) get(ctx context.Context, client int, name string) error {
	return discard(b.collection(client, "GET").Name(name).Stream(ctx))
}

func (b *apiBackend) update(ctx context.Context, client int, name, rv string, version int) (string, error) {
	if rv == "" {
		raw, err := b.collection(client, "GET").Name(name).Do(ctx).Raw()
		if err != nil {
			return "", err
		}
		if rv, err = b.codec.resourceVersion(raw, false); err != nil {
			return "", err
		}
	}
	body, err := b.codec.encode(name, rv, b.codec.padding(version))
	if err != nil {
		return "", err
	}
	raw, err := b.body(b.collection(client, "PUT").Name(name), body).Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	return b.codec.resourceVersion(raw, false)
}

func (b *apiBackend) list(ctx context.Context, client int) error {
	return discard(b.collection(client, "GET").Stream(ctx))
}

func (b *apiBackend) delete(ctx context.Context, client int, name string) error {
	return discard(b.collection(client, "DELETE").Name(name).Stream(ctx))
}

func (b *apiBackend) currentRV(ctx context.Context) (string, error) {
	raw, err := b.collection(0, "GET").Param("limit", "1").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	return b.codec.resourceVersion(raw, true)
}

func (b *apiBackend) watch(ctx context.Context, client int, rv string, onEvent func(watchEvent)) error {
	body, err := b.collection(client, "GET").
		Param("watch", "true").
		Param("resourceVersion", rv).
		Param("allowWatchBookmarks", "false").
		Stream(ctx)
	if err != nil {
		return err
	}
	defer body.Close() // a read-only stream
	if b.codec.protobuf {
		return b.watchProtobuf(body, onEvent)
	}
	stream := newJSONStream(body)
	var f jsonFields
	for {
		if err := stream.next(&f); err != nil {
			return err
		}
		at := time.Now()
		switch f.typ {
		case "ERROR":
			return fmt.Errorf("watch error event: %s", f.message)
		case "BOOKMARK":
			continue
		}
		onEvent(watchEvent{added: f.typ == "ADDED", name: f.name, rv: f.rv, at: at})
	}
}

// watchProtobuf reads a protobuf watch stream (see protoscan.go).
func (b *apiBackend) watchProtobuf(body io.Reader, onEvent func(watchEvent)) error {
	stream := newProtoStream(body)
	var ev protoWatchEvent
	for {
		frame, err := stream.next()
		if err != nil {
			return err
		}
		if err := parseProtoWatchEvent(frame, &ev); err != nil {
			return fmt.Errorf("reading a watch event: %w", err)
		}
		at := time.Now()
		switch ev.typ {
		case "ERROR":
			var status metav1.Status
			if _, _, err := b.codec.pb.Decode(ev.object, nil, &status); err != nil {
				return fmt.Errorf("watch error event: %w", err)
			}
			return fmt.Errorf("watch error event: %s", status.Message)
		case "BOOKMARK":
			continue
		}
		onEvent(watchEvent{added: ev.typ == "ADDED", name: ev.name, rv: ev.rv, at: at})
	}
}

// cleanup deletes many objects as one collection by the run's label, and
// otherwise (few objects, or a server without deletecollection) one by
// one in parallel.
func (b *apiBackend) cleanup(ctx context.Context, names []string) error {
	if len(names) >= deleteCollectionThreshold {
		err := discard(b.collection(0, "DELETE").Param("labelSelector", RunLabel+"="+b.names.run).Stream(ctx))
		if err == nil {
			return nil
		}
		if !apierrors.IsMethodNotSupported(err) && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return deleteAll(ctx, names, func(ctx context.Context, i int, name string) error {
		err := b.delete(ctx, i, name)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// deleteAll calls del for every name, cleanupParallelism at a time (each
// call with a client index that no other call in flight holds), and
// returns the first error; an error stops no other delete.
func deleteAll(ctx context.Context, names []string, del func(ctx context.Context, client int, name string) error) error {
	var g errgroup.Group // no context: one failed delete cancels none of the others
	g.SetLimit(cleanupParallelism)
	free := make(chan int, cleanupParallelism)
	for i := range cleanupParallelism {
		free <- i
	}
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			client := <-free
			defer func() { free <- client }()
			return del(ctx, client, name)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// close closes the clients' idle connections: every Run has transports of
// its own, which would otherwise keep their connections open.
func (b *apiBackend) close() {
	for _, c := range b.clients {
		if c.Client != nil {
			utilnet.CloseIdleConnectionsFor(c.Client.Transport)
		}
	}
}
