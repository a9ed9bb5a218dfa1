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
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/test/bench"
)

// runOptions are the flags of wardle-bench run.
type runOptions struct {
	name                  string
	kubeconfig            string
	server                string
	token                 string
	insecureSkipTLSVerify bool
	resource              string
	kind                  string
	namespace             string
	contentType           string
	etcdEndpoints         []string
	etcdPrefix            string
	pids                  []string
	jsonOut               string
	workload              string
	w                     bench.Workload
}

// newRunCommand runs one workload against one target and prints its result.
func newRunCommand() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one workload against one API server resource, or etcd, and print the result",
		Long: `run puts one workload on one target: a resource of an API server (reached with
--kubeconfig, or --server and --token), or etcd itself (--etcd-endpoints). It creates
what the workload needs first (unmeasured), measures for --duration or --count
operations, deletes what it created, and prints a table; --json also writes the
result as JSON.

Workloads: create, get, update, list (--list-objects), watch (--watchers, --event-rate)
and delete. Objects are Flunder-shaped (spec.fischerReference) and padded with an
annotation to --size bytes; every object carries the label bench.wardle.example.com/run.

Examples:
  wardle-bench run --kubeconfig .wardle/admin.kubeconfig --workload create --concurrency 16
  wardle-bench run --kubeconfig .wardle/admin.kubeconfig --workload get --content-type protobuf
  wardle-bench run --kubeconfig kube.kubeconfig --resource crd.example.com/v1/flunders --workload list --list-objects 10000
  wardle-bench run --etcd-endpoints http://127.0.0.1:2379 --workload watch --watchers 100 --event-rate 50 \
      --pid etcd=$(pgrep -x etcd)`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			target, err := o.target()
			if err != nil {
				return err
			}
			o.w.Kind = bench.Kind(o.workload)
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			res, runErr := bench.Run(ctx, target, o.w)
			if runErr != nil && res.Ops == 0 && res.Elapsed == 0 {
				return runErr
			}
			if err := bench.WriteTable(c.OutOrStdout(), []bench.Result{res}); err != nil {
				return err
			}
			for _, msg := range res.ErrorSamples {
				fmt.Fprintf(c.ErrOrStderr(), "error: %s\n", msg)
			}
			if o.jsonOut != "" {
				if err := writeJSONFile(o.jsonOut, res); err != nil {
					return err
				}
			}
			return runErr
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.name, "name", "", "the target's name in the report (default: the resource's group, or etcd)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the API server (default: $KUBECONFIG or ~/.kube/config, unless --server is given)")
	fs.StringVar(&o.server, "server", "", "URL of the API server, instead of (or overriding) the kubeconfig's")
	fs.StringVar(&o.token, "token", "", "bearer token for --server")
	fs.BoolVar(&o.insecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the certificate of --server")
	fs.StringVar(&o.resource, "resource", "wardle.example.com/v1beta1/flunders", "the resource, as group/version/resource (version/resource for the core group)")
	fs.StringVar(&o.kind, "kind", "Flunder", "the kind of the resource's objects")
	fs.StringVar(&o.namespace, "namespace", "bench", `the namespace of the objects ("" for a cluster-scoped resource); it is not created`)
	fs.StringVar(&o.contentType, "content-type", "json", "what the client sends and accepts: json or protobuf (custom resources speak only json)")
	fs.StringSliceVar(&o.etcdEndpoints, "etcd-endpoints", nil, "etcd client URLs: run against etcd itself instead of an API server")
	fs.StringVar(&o.etcdPrefix, "etcd-prefix", bench.DefaultEtcdPrefix, "the key prefix of an etcd target")
	fs.StringArrayVar(&o.pids, "pid", nil, "name=pid of a server process whose CPU time and peak RSS to report (repeatable)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the result, as a JSON array, to this file")
	fs.StringVar(&o.workload, "workload", string(bench.Create), fmt.Sprintf("the workload: one of %v", bench.Kinds))
	fs.IntVar(&o.w.Concurrency, "concurrency", 10, "workers sending requests at once")
	fs.DurationVar(&o.w.Duration, "duration", 10*time.Second, "how long to measure (0: until --count)")
	fs.IntVar(&o.w.Count, "count", 0, "stop after this many operations (for watch: events written); 0 for no limit")
	fs.IntVar(&o.w.ObjectSize, "size", 1024, "approximate size of each object in bytes (as JSON)")
	fs.IntVar(&o.w.ListObjects, "list-objects", 1000, "how many objects the list workload lists")
	fs.IntVar(&o.w.Watchers, "watchers", 10, "how many watches the watch workload runs")
	fs.IntVar(&o.w.EventRate, "event-rate", 100, "objects per second the watch workload's writer creates")
	return cmd
}

// target builds the bench target of the flags.
func (o *runOptions) target() (bench.Target, error) {
	t := bench.Target{Name: o.name, Namespace: o.namespace}
	var err error
	if t.Processes, err = parsePids(o.pids); err != nil {
		return t, err
	}
	if len(o.etcdEndpoints) > 0 {
		if o.kubeconfig != "" || o.server != "" {
			return t, errors.New("--etcd-endpoints is a target of its own: give it without --kubeconfig or --server")
		}
		if t.Name == "" {
			t.Name = "etcd"
		}
		t.EtcdEndpoints = o.etcdEndpoints
		t.EtcdPrefix = o.etcdPrefix
		return t, nil
	}

	if t.Resource, err = parseResource(o.resource); err != nil {
		return t, err
	}
	t.Kind = o.kind
	switch o.contentType {
	case "json":
		t.ContentType = "application/json"
	case "protobuf":
		t.ContentType = "application/vnd.kubernetes.protobuf"
	default:
		return t, fmt.Errorf("--content-type %q: want json or protobuf", o.contentType)
	}
	if t.Name == "" {
		t.Name = t.Resource.Group
		if t.Name == "" {
			t.Name = "core"
		}
		t.Name += "-" + o.contentType
	}
	if t.Config, err = o.restConfig(); err != nil {
		return t, err
	}
	return t, nil
}

// restConfig is --server (with --token and --insecure-skip-tls-verify)
// alone, or the kubeconfig with those overriding it.
func (o *runOptions) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	if o.server != "" && o.kubeconfig == "" {
		cfg = &rest.Config{Host: o.server}
	} else {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = o.kubeconfig
		overrides := &clientcmd.ConfigOverrides{}
		overrides.ClusterInfo.Server = o.server
		var err error
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("loading the kubeconfig: %w", err)
		}
	}
	if o.token != "" {
		cfg.BearerToken, cfg.BearerTokenFile = o.token, ""
	}
	if o.insecureSkipTLSVerify {
		cfg.Insecure = true
		cfg.CAData, cfg.CAFile = nil, ""
	}
	return cfg, nil
}

// parseResource parses group/version/resource, or version/resource for
// the core group.
func parseResource(s string) (schema.GroupVersionResource, error) {
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" {
			return schema.GroupVersionResource{}, fmt.Errorf("--resource %q: want group/version/resource", s)
		}
	}
	switch len(parts) {
	case 3:
		return schema.GroupVersionResource{Group: parts[0], Version: parts[1], Resource: parts[2]}, nil
	case 2:
		return schema.GroupVersionResource{Version: parts[0], Resource: parts[1]}, nil
	default:
		return schema.GroupVersionResource{}, fmt.Errorf("--resource %q: want group/version/resource", s)
	}
}

// parsePids parses name=pid flags.
func parsePids(flags []string) (map[string]int, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	pids := map[string]int{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		pid, err := strconv.Atoi(value)
		if !ok || name == "" || err != nil || pid <= 0 {
			return nil, fmt.Errorf("--pid %q: want name=pid", f)
		}
		if _, dup := pids[name]; dup {
			return nil, fmt.Errorf("--pid %q: %s is given twice", f, name)
		}
		pids[name] = pid
	}
	return pids, nil
}

// writeJSONFile writes results to path as a JSON array.
func writeJSONFile(path string, results ...bench.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bench.WriteJSON(f, results); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
