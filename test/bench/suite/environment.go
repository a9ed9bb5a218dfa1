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

package suite

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/test/bench"
	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// crdManifest is the CRD of the kube-apiserver target.
//
//go:embed crd.yaml
var crdManifest string

// Namespace is where the namespaced objects of every API target go.
const Namespace = "bench"

// Binaries are the programs the suite runs.
type Binaries struct {
	// Bench is wardle-bench itself, which runs the shared etcd
	// ("wardle-bench etcd-server").
	Bench string
	// WardleAPIServer and KubeAPIServer are the servers under test.
	WardleAPIServer string
	KubeAPIServer   string
	// RepoRoot is the repository, for artifacts/deploy.
	RepoRoot string
}

// Environment is the four targets, running.
type Environment struct {
	dir        string
	etcd       *localcluster.Process
	etcdURL    string
	standalone *localcluster.Standalone
	kube       *localcluster.KubeAPIServer
	aggregated *localcluster.Wardle
}

// Start brings up, in dir: one etcd (its own process, fsync on); a
// standalone wardle-apiserver on it; kube-apiserver on it with the CRD; and
// a second wardle-apiserver aggregated behind that kube-apiserver, on the
// same etcd. Authentication, authorization and admission stay on
// everywhere. The in-server flunder-status controller is off, since the CRD
// has no controller writing status either.
func Start(ctx context.Context, dir string, bins Binaries) (env *Environment, err error) {
	env = &Environment{dir: dir}
	defer func() {
		if err != nil {
			env.Stop()
		}
	}()

	etcdConfig, err := embeddedetcd.NewInsecureConfig(filepath.Join(dir, "etcd", "data"))
	if err != nil {
		return env, err
	}
	env.etcdURL = etcdConfig.ClientURL.String()
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o755); err != nil {
		return env, err
	}
	if env.etcd, err = localcluster.StartProcess("etcd", filepath.Join(dir, "etcd"), bins.Bench, "etcd-server",
		"--data-dir="+etcdConfig.DataDir, "--client-url="+env.etcdURL, "--peer-url="+etcdConfig.PeerURL.String()); err != nil {
		return env, err
	}
	if err := waitEtcd(ctx, env.etcdURL, env.etcd); err != nil {
		return env, err
	}

	if env.standalone, err = localcluster.StartStandalone(ctx, mkdir(dir, "standalone"), bins.WardleAPIServer,
		"--etcd-servers="+env.etcdURL, "--etcd-prefix=/bench/standalone", "--controllers="); err != nil {
		return env, err
	}

	if env.kube, err = localcluster.StartKubeAPIServer(ctx, mkdir(dir, "kube"), bins.KubeAPIServer, env.etcdURL); err != nil {
		return env, err
	}
	if _, err := env.kube.Kubectl(crdManifest, "apply", "-f", "-"); err != nil {
		return env, err
	}
	if _, err := env.kube.Kubectl("", "wait", "--for=condition=Established", "crd/flunders.crd.example.com", "--timeout=60s"); err != nil {
		return env, err
	}
	if _, err := env.kube.Kubectl("", "create", "namespace", Namespace); err != nil {
		return env, err
	}

	env.aggregated, err = localcluster.DeployWardle(ctx, env.kube, mkdir(dir, "aggregated"), bins.RepoRoot, bins.WardleAPIServer,
		"--etcd-servers="+env.etcdURL, "--etcd-prefix=/bench/aggregated")
	return env, err
}

func mkdir(dir, name string) string {
	path := filepath.Join(dir, name)
	_ = os.MkdirAll(path, 0o755)
	return path
}

// waitEtcd waits until etcd answers a read.
func waitEtcd(ctx context.Context, url string, p *localcluster.Process) error {
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer client.Close()
	return p.WaitReady(ctx, time.Minute, "etcd", func(ctx context.Context) error {
		_, err := client.Get(ctx, "health")
		return err
	})
}

// Targets returns the four targets by name.
func (e *Environment) Targets() map[string]bench.Target {
	etcdPid := e.etcd.Pid()
	wardle := schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1beta1", Resource: "flunders"}
	return map[string]bench.Target{
		TargetEtcd: {
			Name: TargetEtcd, EtcdEndpoints: []string{e.etcdURL}, EtcdPrefix: "/bench/raw/",
			Processes: map[string]int{"etcd": etcdPid},
		},
		TargetStandalone: {
			Name: TargetStandalone, Config: e.standalone.Admin, Resource: wardle, Kind: "Flunder", Namespace: Namespace,
			ContentType: "application/vnd.kubernetes.protobuf",
			Processes:   map[string]int{"wardle-apiserver": e.standalone.Process.Pid(), "etcd": etcdPid},
		},
		TargetCRD: {
			Name: TargetCRD, Config: e.kube.Admin, Resource: schema.GroupVersionResource{Group: "crd.example.com", Version: "v1", Resource: "flunders"},
			Kind: "Flunder", Namespace: Namespace, ContentType: "application/json",
			Processes: map[string]int{"kube-apiserver": e.kube.Process.Pid(), "etcd": etcdPid},
		},
		TargetAggregated: {
			Name: TargetAggregated, Config: e.kube.Admin, Resource: wardle, Kind: "Flunder", Namespace: Namespace,
			ContentType: "application/vnd.kubernetes.protobuf",
			Processes:   map[string]int{"kube-apiserver": e.kube.Process.Pid(), "wardle-apiserver": e.aggregated.Process.Pid(), "etcd": etcdPid},
		},
	}
}

// Stop stops every process, the servers before etcd.
func (e *Environment) Stop() {
	for _, p := range []*localcluster.Process{e.processOf(e.aggregated), e.kubeProcess(), e.standaloneProcess(), e.etcd} {
		if p != nil {
			_ = p.Stop()
		}
	}
}

func (e *Environment) processOf(w *localcluster.Wardle) *localcluster.Process {
	if w == nil {
		return nil
	}
	return w.Process
}

func (e *Environment) kubeProcess() *localcluster.Process {
	if e.kube == nil {
		return nil
	}
	return e.kube.Process
}

func (e *Environment) standaloneProcess() *localcluster.Process {
	if e.standalone == nil {
		return nil
	}
	return e.standalone.Process
}

// Logs returns the end of every process's log, for a failed run.
func (e *Environment) Logs() string {
	var b strings.Builder
	for _, p := range []*localcluster.Process{e.etcd, e.standaloneProcess(), e.kubeProcess(), e.processOf(e.aggregated)} {
		if p != nil {
			fmt.Fprintf(&b, "=== %s (%s)\n%s\n", p.Name, p.LogPath, p.Log())
		}
	}
	return b.String()
}

// StartupTimes starts a standalone wardle-apiserver as a user runs it (no
// flags but its data dir and port: embedded etcd, its default in-process
// controllers) runs times on an empty data dir, then again on the same data
// dir, and returns how long each start took from exec to a passing /readyz.
func StartupTimes(ctx context.Context, dir, binary string, runs int) (empty, warm []time.Duration, err error) {
	for i := range runs {
		runDir := mkdir(dir, "startup-"+strconv.Itoa(i))
		for _, times := range []*[]time.Duration{&empty, &warm} {
			start := time.Now()
			s, err := localcluster.StartStandalone(ctx, runDir, binary)
			if err != nil {
				return empty, warm, err
			}
			*times = append(*times, time.Since(start))
			if err := s.Process.Stop(); err != nil {
				return empty, warm, err
			}
		}
	}
	return empty, warm, nil
}

// idleSettle is how long servers idle before their memory is read: long
// enough for start-up garbage to be collected and informers to settle.
const idleSettle = 20 * time.Second

// IdleRSS starts, on the environment's etcd, a standalone wardle-apiserver
// as a user runs it (its default controllers on) and reads its
// resident set size and kube-apiserver's after both have idled for
// idleSettle. kube-apiserver serves the CRD and nothing else has run yet.
func (e *Environment) IdleRSS(ctx context.Context, binary string) (map[string]int64, error) {
	s, err := localcluster.StartStandalone(ctx, mkdir(e.dir, "idle"), binary,
		"--etcd-servers="+e.etcdURL, "--etcd-prefix=/bench/idle")
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Process.Stop() }()
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rss := map[string]int64{}
	for name, pid := range map[string]int{IdleStandalone: s.Process.Pid(), IdleKubeAPIServer: e.kubeProcess().Pid()} {
		if rss[name], err = bench.ResidentSetSize(pid); err != nil {
			return nil, fmt.Errorf("reading the memory of %s: %w", name, err)
		}
	}
	return rss, nil
}

// Names of the servers IdleRSS measures.
const (
	IdleStandalone    = "wardle-apiserver"
	IdleKubeAPIServer = "kube-apiserver"
)
