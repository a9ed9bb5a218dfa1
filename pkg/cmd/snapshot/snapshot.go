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

// Package snapshot holds the wardle-apiserver snapshot command: save a
// snapshot of a running server's embedded etcd, and restore one into a new
// data dir that a server then starts on. The work is done by
// pkg/embeddedetcd, on etcdutl's snapshot package; this package is the
// command line.
package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/grpclog"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

// defaultDataDir is the server's own --data-dir default.
const defaultDataDir = "./.wardle"

// NewCommand returns the snapshot command, with save and restore.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save a snapshot of a running server's embedded etcd, or restore one into a new data dir",
		Long: `Save a snapshot of the embedded etcd of a running wardle-apiserver, or restore one
into a new data dir that a server then starts on.

A snapshot holds etcd's data: every object the server stores. It holds no
certificate and no key: those of --cert-dir (or <data-dir>/pki), the CA, the
service-account signing key, are needed beside it to serve the restored data
to the same clients. The cert dir and a snapshot together are a backup; a
snapshot alone is not.`,
		Args: cobra.NoArgs,
		// Replaces the server's, which cli.Run wraps to start logging:
		// cli.Run logs the error of a command that started logging with
		// klog, as a server's log line, and prints that of one that did
		// not as a plain "Error: ..." line, which suits a command a person
		// types. Nothing here needs the server's feature gates.
		PersistentPreRunE: func(*cobra.Command, []string) error {
			quietGRPCLogs()
			return nil
		},
	}
	// The server's command prints its own flag sections as its help and
	// usage; a subcommand would inherit them. cobra's own, for these.
	cmd.SetHelpFunc((&cobra.Command{}).HelpFunc())
	cmd.SetUsageFunc((&cobra.Command{}).UsageFunc())
	cmd.AddCommand(newSaveCommand(), newRestoreCommand())
	return cmd
}

// quietGRPCLogs keeps gRPC's logs to errors. The server's etcd storage
// sends them to klog; here they would repeat, as warnings, every failed
// connection that the command reports as its error anyway. gRPC's logger
// may only be set before gRPC runs, as it has not when the command starts;
// a test that runs etcd in its own process replaces this.
var quietGRPCLogs = func() {
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr))
}

func newSaveCommand() *cobra.Command {
	var dataDir, certDir string
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of the embedded etcd of the server running on --data-dir",
		Long: `Save a snapshot of the embedded etcd of the server running on --data-dir to FILE,
online, through the running etcd member, with the data dir's own credentials:
the URL in <data-dir>/etcd-endpoint, which the server writes while its etcd
runs, and the server's client certificate for etcd in <data-dir>/pki/etcd.
etcd's CA is read from <data-dir>/pki/etcd/ca.crt, or from
<cert-dir>/etcd/ca.crt when it is not there.

The snapshot is streamed into a temporary file beside FILE, checked, and
renamed to FILE: a save that fails leaves no FILE. It prints the revision the
snapshot holds (every write up to it, none after), its size and its sha256.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			cfg, err := embeddedetcd.RunningClientConfig(dataDir, certDir)
			if err != nil {
				return err
			}
			info, err := embeddedetcd.SaveSnapshot(ctx, cfg, args[0])
			if err != nil {
				if errors.Is(err, embeddedetcd.ErrNoAnswer) && ctx.Err() == nil {
					return fmt.Errorf("%w (the URL is from %s, which a server that was killed leaves behind: is the server running?)",
						err, embeddedetcd.EndpointFile(dataDir))
				}
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "Saved %s: revision %d, %d keys, %d bytes, sha256 %s\n",
				info.Path, info.Revision, info.Keys, info.Size, info.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir, "The --data-dir of the running server whose embedded etcd to save.")
	cmd.Flags().StringVar(&certDir, "cert-dir", "", "The --cert-dir of the running server, if it was given one: "+
		"etcd's CA is read from <cert-dir>/etcd/ca.crt when <data-dir>/pki/etcd/ca.crt is not there.")
	return cmd
}

func newRestoreCommand() *cobra.Command {
	var c embeddedetcd.RestoreConfig
	cmd := &cobra.Command{
		Use:   "restore FILE --data-dir NEW",
		Short: "Restore a snapshot into a new data dir, offline",
		Long: `Restore the snapshot FILE into NEW/etcd, where a server started with
--data-dir NEW finds it. NEW must not exist or be empty. Nothing needs to run.

The snapshot's sha256 is checked first: a truncated or damaged file is refused
and nothing is written. The restored etcd is a new cluster: by default a
single member, named and addressed as a standalone server's; with
--embedded-etcd-initial-cluster, the founding member of the cluster it names.
Its revision is moved on by a billion and marked compacted, so that clients
holding resourceVersions from before the restore get 410 Gone and re-list.

The snapshot holds no certificate or key: start the server with the
--cert-dir it used, or copy its <data-dir>/pki into NEW first. Without them
it generates a new CA and service-account key, and no existing kubeconfig or
token works with it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c.SnapshotFile = args[0]
			logger, err := warnLogger()
			if err != nil {
				return err
			}
			defer func() { _ = logger.Sync() }()
			c.Logger = logger
			info, err := embeddedetcd.Restore(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s into %s: revision %d, %d keys; etcd's revision is now %d, marked compacted\n",
				info.Path, embeddedetcd.EtcdDir(c.DataDir), info.Revision, info.Keys, info.Revision+embeddedetcd.RestoreRevisionBump)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&c.DataDir, "data-dir", "", "The data dir to make, which must not exist or be empty. Required.")
	fs.StringVar(&c.Name, "embedded-etcd-name", embeddedetcd.DefaultMemberName(), "The restored etcd member's name.")
	fs.StringVar(&c.PeerURL, "embedded-etcd-peer-url", embeddedetcd.DefaultPeerURL(), "The restored etcd member's peer URL. "+
		"The default is a placeholder: a standalone server picks its peer port at every start, and nothing dials it.")
	fs.StringVar(&c.InitialCluster, "embedded-etcd-initial-cluster", "", "The members of the new cluster, name=peer-URL,..., "+
		"which must include --embedded-etcd-name=--embedded-etcd-peer-url. Default: that member alone.")
	_ = cmd.MarkFlagRequired("data-dir")
	return cmd
}

// warnLogger is etcdutl's logger for the command: its warnings and errors
// on stderr, not the progress it reports at info.
func warnLogger() (*zap.Logger, error) {
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(zapcore.WarnLevel)
	cfg.Encoding = "console"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}
