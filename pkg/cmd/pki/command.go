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

// Package pki holds `wardle-apiserver pki`, whose subcommand create makes
// the certificates and keys that several replicas of a standalone server
// share: one dir, made once, that each replica is given as --cert-dir
// (see pkg/cmd/server, which reads it without writing to it).
package pki

import (
	"github.com/spf13/cobra"

	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/term"
)

// NewCommand returns `pki`, to add to the wardle-apiserver command.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Make the certificates and keys that replicas of a standalone wardle-apiserver share",
		Long: `wardle-apiserver pki makes the certificates and keys that replicas of a
standalone wardle-apiserver share.

Commands:
  create   write the serving CA and certificate, the service-account key,
           the embedded etcd's CA and an admin kubeconfig to one dir`,
		Args: cobra.NoArgs,
		// Not the server's: no feature gates or logging to set up, and an
		// error is printed as a plain message, not logged.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(newCreateCommand())
	setHelp(cmd, cliflag.NamedFlagSets{})
	return cmd
}

func newCreateCommand() *cobra.Command {
	o := &CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --cert-dir DIR --hosts H1,H2,... [--server URL]",
		Short: "Write the PKI that replicas share to one dir, which each is then given as --cert-dir",
		Long: `wardle-apiserver pki create writes what replicas of a standalone server must
share, and nothing else, to --cert-dir DIR:

  ca.crt, ca.key               the serving CA, which is also the client CA
  apiserver.crt, apiserver.key the serving certificate, for --hosts, 127.0.0.1
                               and localhost
  sa.key                       the key that signs service-account tokens
  etcd/ca.crt, etcd/ca.key     the CA of the embedded etcds: each replica
                               issues its own etcd certificates from it
  admin.kubeconfig             the user wardle-admin in system:masters, for
                               --server

Every replica given DIR as --cert-dir uses these files as they are and writes
nothing there, so DIR may be a Secret mounted read-only. Files are mode 0600,
directories 0700. A file that is there already is kept, never replaced: one
that does not fit (a serving certificate for other hosts, say) makes the
command write nothing and say which files to remove.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return o.Run(c.OutOrStdout())
		},
	}
	var fss cliflag.NamedFlagSets
	o.AddFlags(fss.FlagSet("create"))
	for _, fs := range fss.FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	for _, name := range []string{"cert-dir", "hosts"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err) // the flag was just added
		}
	}
	setHelp(cmd, fss)
	return cmd
}

// setHelp gives cmd a help of its own: without it, a subcommand prints the
// server's, with every server flag.
func setHelp(cmd *cobra.Command, fss cliflag.NamedFlagSets) {
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, fss, cols)
}
