//go:build unix

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

package embeddedetcd

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// BenchmarkPut measures what the transport to the embedded etcd costs: 1 KiB
// puts from 10 concurrent clients of one connection, as the API server's
// storage writes, plain (before etcd had TLS), over mutual TLS as the server
// now runs it (gRPC on a port of its own), and over mutual TLS with gRPC and
// HTTP on one port (what etcd does without ListenClientHttpUrls). cpu-ms/op
// is the whole process's CPU, client and etcd, per put.
//
//	go test -run '^$' -bench Put -benchtime 5000x ./pkg/embeddedetcd
func BenchmarkPut(b *testing.B) {
	for _, tc := range []struct {
		name   string
		config func(dir string) (*Config, error)
	}{
		{"plain", func(dir string) (*Config, error) { return NewInsecureConfig(filepath.Join(dir, "etcd")) }},
		{"mtls", func(dir string) (*Config, error) {
			return NewConfig(filepath.Join(dir, "etcd"), filepath.Join(dir, "pki"))
		}},
		{"mtls-one-port", func(dir string) (*Config, error) {
			c, err := NewConfig(filepath.Join(dir, "etcd"), filepath.Join(dir, "pki"))
			if c != nil {
				c.HTTPURL.Host = ""
			}
			return c, err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			config, err := tc.config(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			etcd, err := Start(context.Background(), config)
			if err != nil {
				b.Fatal(err)
			}
			defer etcd.Close()
			tlsConfig, err := config.ClientTLSConfig()
			if err != nil {
				b.Fatal(err)
			}
			client, err := clientv3.New(clientv3.Config{Endpoints: []string{config.ClientURL.String()}, TLS: tlsConfig, Logger: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			value := strings.Repeat("x", 1024)
			if _, err := client.Put(context.Background(), "/warm-up", value); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(5) // 10 goroutines on 2 CPUs
			cpu := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.Put(context.Background(), "/registry/bench/"+strconv.FormatInt(n.Add(1), 10), value); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
