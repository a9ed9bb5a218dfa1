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
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

// newEtcdServerCommand runs an etcd server (the real one, embedded, fsync
// on) in its own process, so the benchmark's etcd has its own CPU and
// memory accounting and does not share a garbage collector with anything.
func newEtcdServerCommand() *cobra.Command {
	var dataDir, clientURL, peerURL string
	cmd := &cobra.Command{
		Use:    "etcd-server",
		Short:  "Run a single-member etcd until SIGTERM (for the benchmark)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			client, err := url.Parse(clientURL)
			if err != nil {
				return fmt.Errorf("--client-url: %w", err)
			}
			peer, err := url.Parse(peerURL)
			if err != nil {
				return fmt.Errorf("--peer-url: %w", err)
			}
			etcd, err := embeddedetcd.Start(c.Context(), &embeddedetcd.Config{DataDir: dataDir, ClientURL: *client, PeerURL: *peer, LogLevel: "warn"})
			if err != nil {
				return err
			}
			defer etcd.Close()
			select {
			case <-c.Context().Done():
				return nil
			case err := <-etcd.Err():
				return err
			}
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "etcd's data directory")
	cmd.Flags().StringVar(&clientURL, "client-url", "http://127.0.0.1:2379", "where clients reach etcd")
	cmd.Flags().StringVar(&peerURL, "peer-url", "http://127.0.0.1:2380", "etcd's peer URL (unused by a single member, but required)")
	return cmd
}
