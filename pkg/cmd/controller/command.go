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

package controller

import (
	"context"

	"github.com/spf13/cobra"
)

// NewCommand returns the wardle-controller command; it runs until ctx ends.
func NewCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	cmd := &cobra.Command{
		Use:   "wardle-controller",
		Short: "Keep every Flunder's status true: observedGeneration and the ReferenceResolved condition",
		Long: `wardle-controller watches Flunders and Fischers and writes, through the
flunders/status subresource, each Flunder's status.observedGeneration and its
ReferenceResolved condition: True (Found) when the referenced Flunder or
Fischer exists, False (NotFound) when it does not, True (NoReference) when
there is no reference.

wardle-apiserver can run the same controller itself (--controllers=flunder-status,
the default in standalone mode); run this binary instead when the server is
aggregated, with --leader-elect for more than one replica.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Context())
		},
	}
	cmd.SetContext(ctx)
	o.AddFlags(cmd.Flags())
	return cmd
}
