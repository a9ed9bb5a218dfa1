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

package server

import (
	"context"

	"github.com/spf13/cobra"

	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/term"

	pkicmd "github.com/wardle-example/wardle-apiserver/pkg/cmd/pki"
)

// NewCommandStartWardleServer returns the wardle-apiserver command. It runs
// the server until ctx ends.
func NewCommandStartWardleServer(ctx context.Context, o *WardleServerOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wardle-apiserver",
		Short: "Serve the wardle.example.com API, standalone or aggregated under kube-apiserver",
		Long: `wardle-apiserver serves the wardle.example.com API group (Flunders and Fischers,
versions v1alpha1 and v1beta1) from etcd.

With no flags it runs standalone: an embedded etcd and generated certificates
in --data-dir, HTTPS on 127.0.0.1:8443, and <data-dir>/admin.kubeconfig for
kubectl. Given --kubeconfig (or run inside a cluster) it runs as an
aggregated API server behind kube-apiserver, delegating authentication and
authorization to it. --mode=standalone or --mode=aggregated says which,
whatever the environment.

wardle-apiserver pki create writes the certificates and keys that several
replicas share to one dir, which each is then given as --cert-dir; see
wardle-apiserver pki create --help.`,
		Args: cobra.NoArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			// Apply --feature-gates and --emulated-version.
			return o.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.RunWardleServer(c.Context())
		},
	}
	cmd.SetContext(ctx)
	cmd.AddCommand(pkicmd.NewCommand())
	// Cobra would add a completion command beside pki; it is not offered.
	cmd.CompletionOptions.DisableDefaultCmd = true

	fss := o.Flags()
	for _, section := range fss.FlagSets {
		cmd.Flags().AddFlagSet(section)
	}
	o.flags = cmd.Flags()
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, fss, cols)
	return cmd
}
