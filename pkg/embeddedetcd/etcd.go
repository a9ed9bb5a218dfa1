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

// Package embeddedetcd runs a single-member etcd inside the wardle-apiserver
// process: the real etcd server (go.etcd.io/etcd/server/v3/embed) with fsync
// on, listening on loopback only, its data in a directory that survives
// restarts.
//
// Nothing but the API server may talk to it: an object written to etcd
// directly would be served as if it had passed authentication,
// authorization, admission and validation. So every port it opens (the
// client port, its HTTP port and the peer port) serves TLS and requires a
// client certificate signed by a CA of etcd's own, kept in the PKI dir (see
// certificates.go), apart from the CA that signs the API server's users.
package embeddedetcd

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"k8s.io/klog/v2"
)

// Config says where an embedded etcd keeps its data and certificates and
// which loopback addresses it listens on.
type Config struct {
	// DataDir holds etcd's WAL and database. It is created with mode 0700.
	DataDir string
	// PKIDir holds etcd's CA and certificates (see certificates.go),
	// created with mode 0700 and renewed as needed by Start. Empty means
	// plain HTTP without client authentication on every port, which any
	// local process can use: for tests and benchmarks only, never for a
	// server's own etcd.
	PKIDir string
	// CADir, when set, holds the CA (ca.crt and ca.key) that signs the
	// certificates in PKIDir, instead of PKIDir: a CA that several servers'
	// etcds share, read and never written (see shared_ca.go).
	CADir string
	// ClientURL is where the API server reaches etcd (gRPC).
	ClientURL url.URL
	// HTTPURL serves etcd's HTTP endpoints (/health, /version, /metrics),
	// which nothing in wardle-apiserver uses. Empty: on ClientURL. On TLS,
	// sharing a port makes etcd hand every gRPC request to its HTTP server
	// (grpc.Server.ServeHTTP) instead of serving gRPC itself, which is
	// slower and can starve watches under load (etcd-io/etcd#15402); a port
	// of their own leaves ClientURL to gRPC alone, as k3s does for its
	// embedded etcd (k3s-io/k3s#8402).
	HTTPURL url.URL
	// PeerURL is required by etcd even for a single member; nothing dials it.
	PeerURL url.URL
	// LogLevel is etcd's own log level (debug, info, warn, error).
	LogLevel string
	// QuotaBackendBytes is the size at which etcd raises its NOSPACE alarm
	// and refuses writes; 0 is etcd's default, 2 GiB.
	QuotaBackendBytes int64
	// AutoCompactionMode is "periodic" or "revision", and says how etcd
	// reads AutoCompactionRetention.
	AutoCompactionMode string
	// AutoCompactionRetention is how much history etcd keeps when it
	// compacts itself: a duration (periodic; a bare number is hours) or a
	// number of revisions. "0" or empty leaves etcd's own compaction off.
	AutoCompactionRetention string
	// Cluster, if set, makes this etcd one member of a cluster of
	// replicas (cluster.go); nil is a single member of its own. A member
	// of a cluster needs a PKIDir.
	Cluster *Cluster
	// EndpointFile, if set, is where Run writes ClientURL once etcd
	// serves, for tools on this host (wardle-apiserver snapshot save);
	// Close removes it. See endpoint.go.
	EndpointFile string
	// Snapshots schedules snapshots while etcd runs; a zero Interval
	// takes none. See snapshot_schedule.go.
	Snapshots SnapshotConfig
}

// NewConfig returns a Config for dataDir, with its certificates in pkiDir,
// on free loopback ports: every port serves TLS and requires a client
// certificate (see certificates.go). The ports are free when chosen; Start
// fails with a clear error in the rare case that another process takes one
// in between.
func NewConfig(dataDir, pkiDir string) (*Config, error) {
	ports, err := freeLoopbackPorts(3)
	if err != nil {
		return nil, err
	}
	return &Config{
		DataDir:   dataDir,
		PKIDir:    pkiDir,
		ClientURL: url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", ports[0])},
		HTTPURL:   url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", ports[1])},
		PeerURL:   url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", ports[2])},
		LogLevel:  "warn",
	}, nil
}

// NewInsecureConfig returns a Config for dataDir on two free loopback
// ports, serving plain HTTP with no client authentication: any local
// process can read and write it. It is how wardle-apiserver ran its
// embedded etcd before it used TLS, and is for tests and benchmarks that
// need an etcd anyone may reach, never for a server's own.
func NewInsecureConfig(dataDir string) (*Config, error) {
	ports, err := freeLoopbackPorts(2)
	if err != nil {
		return nil, err
	}
	return &Config{
		DataDir:   dataDir,
		ClientURL: url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", ports[0])},
		PeerURL:   url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", ports[1])},
		LogLevel:  "warn",
	}, nil
}

// freeLoopbackPorts returns n distinct TCP ports that are free on 127.0.0.1.
func freeLoopbackPorts(n int) ([]string, error) {
	ports := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free loopback port for the embedded etcd: %w", err)
		}
		// Keep every listener open until all are chosen, so the n ports differ.
		defer l.Close() // only held to reserve the port
		_, port, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, port)
	}
	return ports, nil
}

// Secure reports whether etcd serves TLS with client certificates, that is
// whether the Config has a PKIDir.
func (c *Config) Secure() bool { return c.PKIDir != "" }

// ClientTLSConfig returns the TLS configuration of the API server's client
// certificate (see ClientCertFile), for a tool or test that talks to the
// embedded etcd itself. EnsureCertificates (or Run) must have made the
// certificates first. It is nil for an insecure Config.
func (c *Config) ClientTLSConfig() (*tls.Config, error) {
	if !c.Secure() {
		return nil, nil
	}
	info := transport.TLSInfo{CertFile: c.ClientCertFile(), KeyFile: c.ClientKeyFile(), TrustedCAFile: c.CAFile()}
	return info.ClientConfig()
}

// Server is an embedded etcd: New makes it, Run starts it, Close stops it.
type Server struct {
	config  *Config
	etcd    *embed.Etcd
	closing *atomic.Bool
	ready   chan struct{}
	// stopChores stops the chores (maintenance.go) before etcd closes.
	stopChores context.CancelFunc
	// stopSnapshots stops the scheduled snapshots, if any, and waits.
	stopSnapshots func()
}

// New returns the embedded etcd of c, not started: Run starts it.
func New(c *Config) *Server {
	return &Server{config: c, closing: &atomic.Bool{}, ready: make(chan struct{})}
}

// Start makes etcd's certificates (when the Config is secure), starts etcd
// and waits until it serves clients or ctx ends: New and Run in one.
func Start(ctx context.Context, c *Config) (*Server, error) {
	s := New(c)
	if err := s.Run(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// EnsureCertificates makes etcd's CA (unless CADir names a shared one) and
// certificates in PKIDir, or keeps the ones there that are still valid.
// Run calls it; a caller that needs the
// client certificate before etcd runs (to configure the storage) may call it
// first. It does nothing for an insecure Config.
func (c *Config) EnsureCertificates() error {
	if !c.Secure() {
		return nil
	}
	return c.ensureCertificates()
}

// embedConfig builds etcd's own configuration from c, without touching the
// disk: the certificates it names are made by EnsureCertificates.
func (c *Config) embedConfig(logger *zap.Logger) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Name = DefaultMemberName()
	cfg.Dir = c.DataDir
	cfg.ListenClientUrls = []url.URL{c.ClientURL}
	cfg.AdvertiseClientUrls = []url.URL{c.ClientURL}
	if c.HTTPURL.Host != "" {
		cfg.ListenClientHttpUrls = []url.URL{c.HTTPURL}
	}
	cfg.ListenPeerUrls = []url.URL{c.PeerURL}
	cfg.AdvertisePeerUrls = []url.URL{c.PeerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// The gRPC gateway (etcd's JSON API over HTTP) would be one more way
	// in, and nothing uses it.
	cfg.EnableGRPCGateway = false
	if c.Secure() {
		if err := c.configureTLS(cfg); err != nil {
			return nil, err
		}
	} else {
		for _, u := range []url.URL{c.ClientURL, c.HTTPURL, c.PeerURL} {
			if u.Scheme == "https" {
				return nil, fmt.Errorf("the embedded etcd URL %s is https, but no PKI dir is set for its certificates", u.String())
			}
		}
	}
	if cl := c.Cluster; cl != nil {
		if !c.Secure() {
			return nil, fmt.Errorf("a member of a cluster needs a PKI dir: peers talk mutual TLS")
		}
		// The local API server keeps its loopback port; the other members
		// reach this one's client API and peer port on the pod network.
		// etcd's default ticks (100 ms, elections after 1 s) suit a network.
		cfg.Name = cl.Self.Name
		cfg.ListenClientUrls = []url.URL{c.ClientURL, cl.listenClient()}
		cfg.AdvertiseClientUrls = []url.URL{cl.ClientURL(cl.Self)}
		cfg.ListenPeerUrls = []url.URL{cl.listenPeer()}
		cfg.AdvertisePeerUrls = []url.URL{cl.Self.PeerURL}
		cfg.InitialCluster = cl.initialCluster()
		cfg.InitialClusterToken = cl.Token
		cfg.ClusterState = embed.ClusterStateFlagNew
	} else {
		// A single member has no peers whose silence it must wait out: the
		// election timeout only delays its first election at every start (it
		// was most of the server's start-up time at etcd's defaults, 100 ms
		// ticks and 1 s elections). Heartbeats go to nobody, so short ticks
		// cost nothing.
		cfg.TickMs, cfg.ElectionMs = 10, 100
	}
	if logger != nil {
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	}
	// The API server compacts etcd itself (--etcd-compaction-interval), as
	// kube-apiserver does, so etcd's own auto-compaction is off unless
	// --embedded-etcd-auto-compaction-retention turns it on.
	cfg.QuotaBackendBytes = c.QuotaBackendBytes
	if c.AutoCompactionMode != "" {
		cfg.AutoCompactionMode = c.AutoCompactionMode
	}
	if c.AutoCompactionRetention != "" {
		cfg.AutoCompactionRetention = c.AutoCompactionRetention
	}
	return cfg, nil
}

// Run makes etcd's certificates (when the Config is secure), starts etcd
// and waits until it serves clients, or fails if ctx ends first. ctx bounds
// the start only: etcd runs until Close, so that its owner can stop it
// after the API server has drained its requests.
//
// A single member fails after a minute. A member of a cluster waits for a
// quorum as long as ctx lasts, saying so every ten seconds: the other
// replicas may be starting, or restarting, and a member without a quorum
// serves nothing, stale or not. One with an empty data dir first asks the
// live members to replace its old entry (join.go).
func (s *Server) Run(ctx context.Context) error {
	c := s.config
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the embedded etcd data dir: %w", err)
	}
	if err := c.EnsureCertificates(); err != nil {
		return err
	}
	logger, err := newLogger(c.LogLevel, s.closing)
	if err != nil {
		return err
	}
	cfg, err := c.embedConfig(logger)
	if err != nil {
		return err
	}
	if c.Cluster != nil {
		if err := c.joinIfReplaced(ctx, cfg); err != nil {
			return err
		}
	}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting the embedded etcd in %s: %w", c.DataDir, err)
	}
	giveUp := time.After(time.Minute)
	if c.Cluster != nil {
		giveUp = nil // wait for a quorum as long as ctx lasts
	}
	waiting := time.NewTicker(10 * time.Second)
	defer waiting.Stop()
	for {
		select {
		case <-e.Server.ReadyNotify():
			s.etcd = e
			if err := s.startBackups(); err != nil {
				s.Close()
				return err
			}
			chores, stop := context.WithCancel(context.Background())
			s.stopChores = stop
			s.runChores(chores)
			close(s.ready)
			return nil
		case err := <-e.Err():
			s.closing.Store(true)
			e.Close()
			return fmt.Errorf("embedded etcd failed while starting: %w", err)
		case <-ctx.Done():
			s.closing.Store(true)
			e.Close()
			return fmt.Errorf("embedded etcd did not become ready: %w", context.Cause(ctx))
		case <-giveUp:
			s.closing.Store(true)
			e.Close()
			return fmt.Errorf("embedded etcd did not become ready within a minute (data dir %s)", c.DataDir)
		case <-waiting.C:
			if cl := c.Cluster; cl != nil {
				klog.InfoS("The embedded etcd member waits for a quorum of its cluster to serve; the API server starts once it has one",
					"member", cl.Self.Name, "peers", cl.initialCluster())
			}
		}
	}
}

// Ready is closed once Run has started etcd and it serves clients.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Err delivers an error if etcd fails after it started; before Run has
// started it, nothing.
func (s *Server) Err() <-chan error {
	if s.etcd == nil {
		return nil
	}
	return s.etcd.Err()
}

// Close stops etcd after its in-flight requests, and syncs its data to
// disk. It is safe to call more than once, and before Run.
func (s *Server) Close() {
	if s.closing.Swap(true) || s.etcd == nil {
		return
	}
	s.stopBackups()
	if s.stopChores != nil {
		s.stopChores()
	}
	s.etcd.Close()
}
