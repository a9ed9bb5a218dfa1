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

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/test/testcerts"
)

// listeningSocket is a socket a process listens on.
type listeningSocket struct {
	network string // tcp, tcp6 or unix
	addr    string // host:port, or the unix socket's path
	port    int
}

// listeningSockets lists every socket process pid listens on: the sockets
// among its open files (/proc/<pid>/fd) that its network namespace lists
// as listening in /proc/<pid>/net/{tcp,tcp6,unix}.
func listeningSockets(t *testing.T, pid int) []listeningSocket {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var sockets []listeningSocket
	for _, network := range []string{"tcp", "tcp6"} {
		for _, fields := range procNetLines(t, pid, network) {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] { // 0A: TCP_LISTEN
				continue
			}
			hexIP, hexPort, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				t.Fatalf("/proc/%d/net/%s: %q: %v", pid, network, fields[1], err)
			}
			sockets = append(sockets, listeningSocket{network: network, addr: net.JoinHostPort(procNetIP(t, hexIP).String(), strconv.Itoa(int(port))), port: int(port)})
		}
	}
	for _, fields := range procNetLines(t, pid, "unix") {
		// Num RefCount Protocol Flags Type St Inode Path; Flags has
		// __SO_ACCEPTCON (0x10000) on a listening socket.
		if len(fields) < 7 || !inodes[fields[6]] {
			continue
		}
		if flags, err := strconv.ParseUint(fields[3], 16, 32); err == nil && flags&0x10000 != 0 {
			path := ""
			if len(fields) > 7 {
				path = fields[7]
			}
			sockets = append(sockets, listeningSocket{network: "unix", addr: path})
		}
	}
	return sockets
}

// procNetLines returns the fields of every line but the header of
// /proc/<pid>/net/<name>.
func procNetLines(t *testing.T, pid int, name string) [][]string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && name == "tcp6" {
			return nil // no IPv6
		}
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]string
	scanner := bufio.NewScanner(f)
	scanner.Scan() // header
	for scanner.Scan() {
		lines = append(lines, strings.Fields(scanner.Text()))
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// procNetIP decodes an address of /proc/net/tcp{,6}: 32-bit words in host
// (little-endian) byte order.
func procNetIP(t *testing.T, s string) net.IP {
	t.Helper()
	raw, err := hex.DecodeString(s)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		t.Fatalf("address %q in /proc/net/tcp: %v", s, err)
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.IP(raw)
}

// etcdCredential is a way to connect to an etcd port: plain, or TLS
// trusting etcd's CA with some client certificate (or none).
type etcdCredential struct {
	name string
	// tls is nil for a plain connection.
	tls *tls.Config
}

// tlsWith trusts roots and presents cert, if any. It is built from nothing,
// not cloned: a cloned client configuration of etcd's would keep
// presenting its certificate through GetClientCertificate.
func tlsWith(roots *x509.CertPool, cert *tls.Certificate) *tls.Config {
	c := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c
}

// etcdHTTPGet gets /version from an etcd port over HTTP/1.1 or HTTPS. It
// is served only if the answer is etcd's version.
func etcdHTTPGet(port int, c etcdCredential) (served bool, detail string) {
	scheme := "http"
	transport := &http.Transport{DisableKeepAlives: true}
	if c.tls != nil {
		scheme, transport.TLSClientConfig = "https", c.tls
	}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("%s://127.0.0.1:%d/version", scheme, port))
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	detail = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "etcdserver"), detail
}

// etcdGRPC sends a gRPC request to an etcd port with clientv3: a Get of
// /registry, or, for write, a Put of key (what an attacker would do). It
// is served if it succeeds.
func etcdGRPC(port int, c etcdCredential, write bool, key string) (served bool, detail string) {
	scheme := "http"
	if c.tls != nil {
		scheme = "https"
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)},
		TLS:         c.tls,
		DialTimeout: 3 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return false, err.Error()
	}
	defer client.Close()
	// clientv3 retries a refused connection until the deadline, so a
	// refusal takes this long.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if write {
		if _, err := client.Put(ctx, key, "written around the API server"); err != nil {
			return false, err.Error()
		}
		return true, "put " + key
	}
	resp, err := client.Get(ctx, "/registry", clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return false, err.Error()
	}
	return true, fmt.Sprintf("%d keys under /registry", resp.Count)
}

// injectedKey is where a refused client tries to write a Flunder behind
// the API server's back.
const injectedKey = "/registry/wardle.example.com/wardle.example.com/flunders/default/injected"

// probeEmbeddedEtcd finds every port the server's process listens on
// besides its own HTTPS and HTTP ports, which are the embedded etcd's, and
// checks that each serves only the connections it must: etcd's gRPC port
// the API server's etcd client certificate, etcd's HTTP port the same, the
// peer port etcd's peer certificate. Every other way in is refused: plain
// HTTP and plain gRPC, TLS without a client certificate, with a
// certificate of another CA (even with the API server's common name), with
// admin.kubeconfig's certificate (the data-dir CA's), and with etcd's own
// certificates on the ports they do not belong to.
func probeEmbeddedEtcd(t *testing.T, s *apiServer) {
	t.Helper()
	var etcdPorts []int
	for _, socket := range listeningSockets(t, s.pid()) {
		if socket.network == "unix" {
			t.Errorf("the server listens on unix socket %q", socket.addr)
			continue
		}
		if socket.port == s.securePort || socket.port == s.insecurePort {
			continue
		}
		if host, _, _ := net.SplitHostPort(socket.addr); host != "127.0.0.1" {
			t.Errorf("the embedded etcd listens on %s (%s), not on 127.0.0.1", socket.addr, socket.network)
		}
		etcdPorts = append(etcdPorts, socket.port)
	}
	slices.Sort(etcdPorts)
	etcdPorts = slices.Compact(etcdPorts)
	// gRPC, HTTP, peer.
	if len(etcdPorts) != 3 {
		t.Fatalf("the server listens on %d ports besides %d and %d: %v; want the embedded etcd's three", len(etcdPorts), s.securePort, s.insecurePort, etcdPorts)
	}

	pkiDir := filepath.Join(s.dataDir, "pki")
	etcdPKI := filepath.Join(pkiDir, "etcd")
	caPEM, err := os.ReadFile(filepath.Join(etcdPKI, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in pki/etcd/ca.crt")
	}
	loadPair := func(certFile, keyFile string) *tls.Certificate {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		return &pair
	}
	apiServerCert := loadPair(filepath.Join(etcdPKI, "apiserver-etcd-client.crt"), filepath.Join(etcdPKI, "apiserver-etcd-client.key"))
	peerCert := loadPair(filepath.Join(etcdPKI, "peer.crt"), filepath.Join(etcdPKI, "peer.key"))
	kubeconfig, err := clientcmd.LoadFromFile(s.kubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	admin := kubeconfig.AuthInfos[kubeconfig.Contexts[kubeconfig.CurrentContext].AuthInfo]
	adminPair, err := tls.X509KeyPair(admin.ClientCertificateData, admin.ClientKeyData)
	if err != nil {
		t.Fatalf("admin.kubeconfig's client certificate: %v", err)
	}
	otherPair := testcerts.ClientCert(t, testcerts.NewCA(t, "another-ca"), "wardle-apiserver-etcd-client")
	otherCert := &otherPair

	apiServer := etcdCredential{"the API server's etcd client certificate", tlsWith(roots, apiServerCert)}
	peer := etcdCredential{"etcd's peer certificate", tlsWith(roots, peerCert)}
	refusedEverywhere := []etcdCredential{
		{"plain (no TLS)", nil},
		{"TLS without a client certificate", tlsWith(roots, nil)},
		{"TLS with a certificate of another CA", tlsWith(roots, otherCert)},
		{"TLS with admin.kubeconfig's client certificate", tlsWith(roots, &adminPair)},
	}

	// Which port is which: the one credential each serves tells.
	const grpcPort, httpPort, peerPort = "gRPC", "HTTP", "peer"
	role := map[int]string{}
	for _, port := range etcdPorts {
		if ok, _ := etcdGRPC(port, apiServer, false, ""); ok {
			role[port] = grpcPort
		} else if ok, _ := etcdHTTPGet(port, apiServer); ok {
			role[port] = httpPort
		} else if ok, _ := etcdHTTPGet(port, peer); ok {
			role[port] = peerPort
		}
	}
	var found []string
	for _, r := range role {
		found = append(found, r)
	}
	slices.Sort(found)
	if !slices.Equal(found, []string{httpPort, grpcPort, peerPort}) {
		t.Fatalf("etcd ports %v: want one each for gRPC (the API server's certificate), HTTP (the same) and peer (etcd's peer certificate); found %v", etcdPorts, role)
	}
	t.Logf("embedded etcd ports: %v", role)

	type probe struct {
		port  int
		cred  etcdCredential
		http  bool // else gRPC
		write bool
	}
	var probes []probe
	for _, port := range etcdPorts {
		creds := slices.Clone(refusedEverywhere)
		if role[port] == peerPort {
			creds = append(creds, apiServer)
		} else {
			creds = append(creds, peer)
		}
		for _, c := range creds {
			probes = append(probes, probe{port, c, true, false}, probe{port, c, false, false}, probe{port, c, false, true})
		}
	}
	// Refused gRPC requests take their whole timeout: send them at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for _, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var served bool
			var detail, what string
			if p.http {
				what = "HTTP GET /version"
				served, detail = etcdHTTPGet(p.port, p.cred)
			} else {
				what = "gRPC Range"
				if p.write {
					what = "gRPC Put"
				}
				served, detail = etcdGRPC(p.port, p.cred, p.write, injectedKey)
			}
			mu.Lock()
			defer mu.Unlock()
			if served {
				t.Errorf("etcd %s port %d served %s with %s: %s", role[p.port], p.port, what, p.cred.name, detail)
			} else {
				refused++
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of %d requests to the embedded etcd refused", refused, len(probes))
}

// TestEmbeddedEtcdServesOnlyTheAPIServer checks every port the embedded
// etcd opens (found by listing the server process's listening sockets),
// while the API server works, and again after a restart on the same data
// dir, with the objects still there.
func TestEmbeddedEtcdServesOnlyTheAPIServer(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	k := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	createExamples(t, k)
	probeEmbeddedEtcd(t, s)
	// Nothing written around the API server reached it.
	r := k.fail(t, "get", "flunder", "injected")
	assertContains(t, "stderr", r.Stderr, `flunders.wardle.example.com "injected" not found`)
	k.ok(t, "get", "flunder", "my-first-flunder")
	s.Stop()
	if t.Failed() {
		t.FailNow()
	}

	s = startServer(t, dataDir)
	k = newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	assertTable(t, k.ok(t, "get", "flunders"), flunderHeader, firstFlunderRow, secondFlunderRow)
	assertTable(t, k.ok(t, "get", "fischers"), fischerHeader, strictFischerRow)
	probeEmbeddedEtcd(t, s)
}
