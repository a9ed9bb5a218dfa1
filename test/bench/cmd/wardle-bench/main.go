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

// Command wardle-bench puts load on wardle-apiserver, kube-apiserver or
// etcd and measures it. "wardle-bench run" runs one workload against one
// target; "wardle-bench suite" (make bench) runs them all side by side and
// writes docs/performance.md.
package main

import (
	"os"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"
)

func main() {
	root := &cobra.Command{
		Use:   "wardle-bench",
		Short: "Load generator and side-by-side benchmark for wardle-apiserver",
	}
	root.AddCommand(newRunCommand(), newSuiteCommand(), newEtcdServerCommand())
	root.SetContext(genericapiserver.SetupSignalContext())
	os.Exit(cli.Run(root))
}
