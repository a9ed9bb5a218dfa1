//go:build faults

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

package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// replica is one pod of artifacts/standalone's StatefulSet, run as a
// process: its name, the loopback address that stands for its pod IP and
// DNS names, its data dir (the pod's volume), and its arguments, the
// container's with the pod's values in.
type replica struct {
	name    string
	ip      string
	dataDir string
	args    []string
	process *localcluster.Process
	started time.Time
	server  *server
}

// TestStatefulSetAsProcesses renders artifacts/standalone, takes its
// StatefulSet's container arguments exactly, and starts three server
// processes with them, each pod's name and addresses mapped to a loopback
// address of its own (the same ports on each, as pods have). Under a
// bounded write load through all three, it SIGKILLs one (writes go on
// through the other two), starts it again (it catches up), then stops
// another, deletes its data dir and starts it again (it rejoins under its
// name). Every acknowledged write is there, served by every replica, the
// members' HashKV agree, and they form one cluster of three, never two.
func TestStatefulSetAsProcesses(t *testing.T) {
	dir := t.TempDir()
	replicas := renderStatefulSet(t, dir)
	for _, r := range replicas {
		r.start(t)
	}
	for _, r := range replicas {
		r.waitReady(t)
	}
	replicas[0].server.ensureNamespace(t)

	var loads []*load
	underLoad := func(what string, fault func()) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan *load, len(replicas))
		for _, r := range replicas {
			go func() { done <- r.server.writeUntil(ctx, 3, what+"-"+r.name) }()
		}
		time.Sleep(time.Second)
		fault()
		time.Sleep(2 * time.Second)
		stop()
		for range replicas {
			l := <-done
			expectRules(t, l)
			loads = append(loads, l)
			t.Logf("%s: %s", what, l)
		}
	}

	victim := replicas[2]
	underLoad("kill", func() {
		victim.process.Kill()
		killed := time.Now()
		// The next write acknowledged through another replica.
		err := localcluster.Poll(t.Context(), 30*time.Second, "a write after the kill", func(ctx context.Context) error {
			if r := replicas[0].server.create(ctx, fmt.Sprintf("after-kill-%d", time.Now().UnixNano())); r.code != http.StatusCreated {
				return fmt.Errorf("%d %.200s", r.code, r.body)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		t.Logf("the first write acknowledged %v after %s was killed", time.Since(killed).Round(time.Millisecond), victim.name)
	})
	victim.start(t)
	victim.waitReady(t)

	wiped := replicas[1]
	underLoad("wipe", func() {
		if err := wiped.process.Stop(); err != nil {
			t.Error(err)
		}
		if err := os.RemoveAll(wiped.dataDir); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		wiped.start(t)
		wiped.waitReady(t)
		t.Logf("%s rejoined with an empty data dir and was ready %v after it started", wiped.name, time.Since(started).Round(time.Millisecond))
	})
	if log := wiped.process.Log(); !strings.Contains(log, "Joining the existing embedded etcd cluster") {
		t.Errorf("%s did not rejoin the cluster as a replaced member:\n%s", wiped.name, log)
	}

	pki := filepath.Join(dir, "standalone", "pki")
	for _, r := range replicas {
		expectNoneLost(t, r.server, loads...)
		logUsage(t, r)
	}
	expectOneCluster(t, replicas, pki)

	restoreCluster(t, replicas, pki)
}

// restoreCluster saves a snapshot through replicas[0], writes one more
// Flunder, stops every replica, restores the snapshot into a new data dir
// for each with the member flags of its own arguments (snapshot restore
// takes the server's), and starts them: they form one cluster of three
// again, holding what the snapshot held and not the later write, and take
// writes.
func restoreCluster(t *testing.T, replicas []*replica, pki string) {
	t.Helper()
	ctx := t.Context()
	if r := replicas[0].server.create(ctx, "before-snapshot"); r.code != http.StatusCreated {
		t.Fatalf("create before the snapshot: %d %.300s", r.code, r.body)
	}
	file := filepath.Join(t.TempDir(), "cluster.db")
	out, err := exec.Command(wardleBinary, "snapshot", "save", file, "--data-dir", replicas[0].dataDir, "--cert-dir", pki).CombinedOutput()
	if err != nil {
		t.Fatalf("snapshot save through %s: %v\n%s", replicas[0].name, err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
	if r := replicas[1].server.create(ctx, "after-snapshot"); r.code != http.StatusCreated {
		t.Fatalf("create after the snapshot: %d %.300s", r.code, r.body)
	}

	for _, r := range replicas {
		if err := r.process.Stop(); err != nil {
			t.Error(err)
		}
	}
	started := time.Now()
	for _, r := range replicas {
		if err := os.Rename(r.dataDir, r.dataDir+"-before-restore"); err != nil {
			t.Fatal(err)
		}
		args := []string{"snapshot", "restore", file, "--data-dir", r.dataDir}
		for _, arg := range r.args {
			for _, flag := range []string{"--embedded-etcd-name=", "--embedded-etcd-peer-url=", "--embedded-etcd-initial-cluster="} {
				if strings.HasPrefix(arg, flag) {
					args = append(args, arg)
				}
			}
		}
		if out, err := exec.Command(wardleBinary, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, r := range replicas {
		r.start(t)
	}
	for _, r := range replicas {
		r.waitReady(t)
	}
	t.Logf("restored the snapshot into three new data dirs; every replica was ready %v after the first restore began", time.Since(started).Round(time.Millisecond))
	for _, r := range replicas {
		names := r.server.names(t)
		if !names["before-snapshot"] || names["after-snapshot"] {
			t.Errorf("%s after the restore: before-snapshot there %v, after-snapshot there %v; want only the first", r.name, names["before-snapshot"], names["after-snapshot"])
		}
	}
	if r := replicas[2].server.create(ctx, "after-restore"); r.code != http.StatusCreated {
		t.Errorf("create after the restore: %d %.300s", r.code, r.body)
	}
	expectOneCluster(t, replicas, pki)
}

// renderStatefulSet copies artifacts/standalone into dir, makes its PKI
// with pki create, renders it with kubectl, and returns the StatefulSet's
// pods as replicas on loopback.
func renderStatefulSet(t *testing.T, dir string) []*replica {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	kustomization := filepath.Join(dir, "standalone")
	if err := os.CopyFS(kustomization, os.DirFS(filepath.Join(repo, "artifacts", "standalone"))); err != nil {
		t.Fatal(err)
	}
	// A /24 of loopback of its own: each pod an address, the same ports.
	subnet := fmt.Sprintf("127.%d.%d.", 100+rand.IntN(100), rand.IntN(250))
	ip := func(i int) string { return fmt.Sprint(subnet, i+1) }

	var sts appsv1.StatefulSet
	if err := exec.Command("kubectl", "kustomize", kustomization).Run(); err == nil {
		t.Fatal("artifacts/standalone rendered without the PKI; pki create should be needed first")
	}
	pki := filepath.Join(kustomization, "pki")
	hosts := []string{"wardle.wardle.svc", ip(0), ip(1), ip(2)}
	if out, err := exec.Command(wardleBinary, "pki", "create", "--cert-dir", pki, "--hosts", strings.Join(hosts, ","),
		"--server", "https://"+net.JoinHostPort(ip(0), "8443")).CombinedOutput(); err != nil {
		t.Fatalf("pki create: %v\n%s", err, out)
	}
	out, err := exec.Command("kubectl", "kustomize", kustomization).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize artifacts/standalone: %v", err)
	}
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		var meta struct{ Kind string }
		if yaml.Unmarshal(doc, &meta) == nil && meta.Kind == "StatefulSet" {
			if err := yaml.Unmarshal(doc, &sts); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 || len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the rendered StatefulSet is not one container, three replicas: %+v", sts.Spec)
	}
	container := sts.Spec.Template.Spec.Containers[0]
	// The Secret's files, where the pods mount them, read-only: 0400 and
	// the group's read, which the kubelet adds for the pod's fsGroup.
	mounts := map[string]string{}
	for _, m := range container.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if err := filepath.WalkDir(pki, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chmod(path, 0o440)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	var replicas []*replica
	for i := range int(*sts.Spec.Replicas) {
		r := &replica{name: fmt.Sprintf("%s-%d", sts.Name, i), ip: ip(i)}
		volume := filepath.Join(dir, fmt.Sprintf("volume-%d", i))
		env := map[string]string{}
		for _, e := range container.Env {
			env[e.Name] = fieldOf(t, e, r, sts.Namespace)
		}
		for _, arg := range container.Args {
			arg = expandEnv(arg, env)
			// Every pod's DNS name is its address; the pod's own network
			// (0.0.0.0 in a pod) is its loopback address here.
			for j := range int(*sts.Spec.Replicas) {
				arg = strings.ReplaceAll(arg, fmt.Sprintf("%s-%d.%s.%s.svc", sts.Name, j, sts.Spec.ServiceName, sts.Namespace), ip(j))
			}
			arg = strings.ReplaceAll(arg, "=0.0.0.0", "="+r.ip)
			arg = strings.ReplaceAll(arg, "="+mounts["pki"], "="+pki)
			arg = strings.ReplaceAll(arg, "="+mounts["data"], "="+volume)
			if dataDir, ok := strings.CutPrefix(arg, "--data-dir="); ok {
				r.dataDir = dataDir
			}
			r.args = append(r.args, arg)
		}
		if !strings.HasPrefix(r.dataDir, volume) {
			t.Fatalf("%s's --data-dir %q is not on its volume", r.name, r.dataDir)
		}
		replicas = append(replicas, r)
	}
	t.Logf("%s's arguments, as run: %q", replicas[0].name, replicas[0].args)
	return replicas
}

// fieldOf is the value the downward API gives e in r's pod.
func fieldOf(t *testing.T, e corev1.EnvVar, r *replica, namespace string) string {
	if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
		return e.Value
	}
	switch e.ValueFrom.FieldRef.FieldPath {
	case "metadata.name":
		return r.name
	case "metadata.namespace":
		return namespace
	case "status.podIP":
		return r.ip
	}
	t.Fatalf("the test does not know the downward API field %s", e.ValueFrom.FieldRef.FieldPath)
	return ""
}

// expandEnv expands $(NAME) as the kubelet does in a container's args.
func expandEnv(arg string, env map[string]string) string {
	for name, value := range env {
		arg = strings.ReplaceAll(arg, "$("+name+")", value)
	}
	return arg
}

// start starts r's process: in its pod's environment, which has no
// service-account token (automountServiceAccountToken: false).
func (r *replica) start(t *testing.T) {
	t.Helper()
	// The pod's volume; the server makes its data dir on it.
	if err := os.MkdirAll(filepath.Dir(r.dataDir), 0o700); err != nil {
		t.Fatal(err)
	}
	p, err := localcluster.StartProcess(r.name, filepath.Dir(r.dataDir), wardleBinary, r.args...)
	if err != nil {
		t.Fatal(err)
	}
	r.process, r.started = p, time.Now()
	t.Cleanup(p.Kill)
}

// waitReady waits for r's /readyz, through the admin kubeconfig r wrote.
func (r *replica) waitReady(t *testing.T) {
	t.Helper()
	kubeconfig := filepath.Join(r.dataDir, "admin.kubeconfig")
	var config *rest.Config
	err := r.process.WaitReady(t.Context(), 2*time.Minute, r.name+" /readyz", func(ctx context.Context) error {
		var err error
		if config, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
			return err
		}
		client, err := rest.HTTPClientFor(config)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, config.Host+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, r.process.Log())
	}
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = requestTimeout
	r.server = &server{Standalone: &localcluster.Standalone{DataDir: r.dataDir, Kubeconfig: kubeconfig, Admin: config, Process: r.process},
		http: client, base: strings.TrimSuffix(config.Host, "/")}
}

// expectOneCluster checks that the members form one cluster of three,
// under the replicas' names, and that their data agree (HashKV at one
// revision), asking each member at its client port with a replica's etcd
// client certificate; pki is the cert dir the replicas share.
func expectOneCluster(t *testing.T, replicas []*replica, pki string) {
	t.Helper()
	config := &embeddedetcd.Config{PKIDir: filepath.Join(replicas[0].dataDir, "pki", "etcd"), CADir: filepath.Join(pki, "etcd")}
	tlsConfig, err := config.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	var endpoints []string
	for _, r := range replicas {
		endpoints = append(endpoints, "https://"+net.JoinHostPort(r.ip, "2379"))
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: endpoints, TLS: tlsConfig, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	put, err := client.Put(ctx, "/faults/barrier", time.Now().String())
	if err != nil {
		t.Fatal(err)
	}
	clusters := map[uint64]bool{}
	var hashes []uint32
	for _, endpoint := range endpoints {
		var resp *clientv3.HashKVResponse
		for {
			resp, err = client.HashKV(ctx, endpoint, put.Header.Revision)
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(100 * time.Millisecond) // a member may not have applied it yet
		}
		if err != nil {
			t.Fatalf("HashKV of %s at revision %d: %v", endpoint, put.Header.Revision, err)
		}
		clusters[resp.Header.ClusterId] = true
		hashes = append(hashes, resp.Hash)
	}
	members, err := client.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range members.Members {
		names = append(names, m.Name)
	}
	if len(clusters) != 1 || len(names) != len(replicas) {
		t.Errorf("cluster ids %v, members %q: want one cluster of %d", clusters, names, len(replicas))
	}
	for i := range hashes {
		if hashes[i] != hashes[0] {
			t.Errorf("the members disagree at revision %d: hashes %v", put.Header.Revision, hashes)
			break
		}
	}
	t.Logf("one cluster, members %q, agreeing at revision %d (hash %x)", names, put.Header.Revision, hashes[0])

	// The client port refuses clients without a certificate of the etcd
	// CA: none at all, or the admin's (of the serving CA).
	admin := replicas[0].server.Admin
	adminCert, err := tls.X509KeyPair(admin.CertData, admin.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	for what, certs := range map[string][]tls.Certificate{"no client certificate": nil, "the admin's client certificate": {adminCert}} {
		stranger := &tls.Config{RootCAs: tlsConfig.RootCAs, Certificates: certs, MinVersion: tls.VersionTLS12}
		c, err := clientv3.New(clientv3.Config{Endpoints: endpoints[:1], TLS: stranger, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			continue // refused at once
		}
		asked, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err = c.MemberList(asked)
		cancel()
		_ = c.Close()
		if err == nil {
			t.Errorf("a client with %s changed nothing but was let in: the member list is open to it", what)
		}
	}
}

// logUsage logs what r's process used so far: its CPU time, and its memory
// now and at its peak, the figures the StatefulSet's requests are set from.
func logUsage(t *testing.T, r *replica) {
	t.Helper()
	pid := r.process.Pid()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Logf("%s's usage: %v", r.name, err)
		return
	}
	var rss, peak string
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Logf("%s's usage: %v", r.name, err)
		return
	}
	// Fields after the command's closing parenthesis: utime and stime are
	// the 12th and 13th, in clock ticks (100 a second on Linux).
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] {
		var n int64
		_, _ = fmt.Sscan(f, &n)
		ticks += n
	}
	t.Logf("%s: CPU %.1fs over %v of life, memory %s now, %s at its peak", r.name, float64(ticks)/100, time.Since(r.started).Round(time.Second), rss, peak)
}
