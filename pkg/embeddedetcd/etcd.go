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
// process for standalone mode: the real etcd server (go.etcd.io/etcd/server/v3/embed)
// with fsync on, listening on loopback only, its data in a directory that
// survives restarts.
package embeddedetcd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Config says where an embedded etcd keeps its data and which loopback
// addresses it listens on.
type Config struct {
	// DataDir holds etcd's WAL and database. It is created with mode 0700.
	DataDir string
	// ClientURL is where the API server reaches etcd.
	ClientURL url.URL
	// PeerURL is required by etcd even for a single member; nothing dials it.
	PeerURL url.URL
	// LogLevel is etcd's own log level (debug, info, warn, error).
	LogLevel string
}

// NewConfig returns a Config for dataDir on two free loopback ports. The
// ports are free when chosen; Start fails with a clear error in the rare
// case that another process takes one in between.
func NewConfig(dataDir string) (*Config, error) {
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
		defer l.Close() //nolint:errcheck // only held to reserve the port
		_, port, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, port)
	}
	return ports, nil
}

// Server is a running embedded etcd.
type Server struct {
	etcd    *embed.Etcd
	closing *atomic.Bool
}

// Start starts etcd and waits until it serves clients or ctx ends.
func Start(ctx context.Context, c *Config) (*Server, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the embedded etcd data dir: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "wardle"
	cfg.Dir = c.DataDir
	cfg.ListenClientUrls = []url.URL{c.ClientURL}
	cfg.AdvertiseClientUrls = []url.URL{c.ClientURL}
	cfg.ListenPeerUrls = []url.URL{c.PeerURL}
	cfg.AdvertisePeerUrls = []url.URL{c.PeerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// A single member has no peers whose silence it must wait out: the
	// election timeout only delays its first election at every start (it
	// was most of the server's start-up time at etcd's defaults, 100 ms
	// ticks and 1 s elections). Heartbeats go to nobody, so short ticks cost
	// nothing.
	cfg.TickMs, cfg.ElectionMs = 10, 100
	closing := &atomic.Bool{}
	logger, err := newLogger(c.LogLevel, closing)
	if err != nil {
		return nil, err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	// The API server compacts etcd itself (--etcd-compaction-interval), as
	// kube-apiserver does, so etcd's own auto-compaction stays off.

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the embedded etcd in %s: %w", c.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return &Server{etcd: e, closing: closing}, nil
	case err := <-e.Err():
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed while starting: %w", err)
	case <-ctx.Done():
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("embedded etcd did not become ready: %w", context.Cause(ctx))
	case <-time.After(time.Minute):
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("embedded etcd did not become ready within a minute (data dir %s)", c.DataDir)
	}
}

// Err delivers an error if etcd fails after it started.
func (s *Server) Err() <-chan error { return s.etcd.Err() }

// Close stops etcd after its in-flight requests, and syncs its data to disk.
func (s *Server) Close() {
	s.closing.Store(true)
	s.etcd.Close()
}
