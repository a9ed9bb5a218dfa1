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

package localcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Standalone is a standalone wardle-apiserver process.
type Standalone struct {
	// DataDir is its --data-dir; Kubeconfig the admin kubeconfig it wrote.
	DataDir    string
	Kubeconfig string
	Admin      *rest.Config
	Process    *Process
}

// StartStandalone starts binary in standalone mode with its data in
// dir/data, HTTPS on a free loopback port and extraArgs, and waits until
// /readyz passes for its admin.
func StartStandalone(ctx context.Context, dir, binary string, extraArgs ...string) (*Standalone, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Standalone{DataDir: filepath.Join(dir, "data")}
	s.Kubeconfig = filepath.Join(s.DataDir, "admin.kubeconfig")
	args := append([]string{"--data-dir=" + s.DataDir, "--secure-port=" + strconv.Itoa(port)}, extraArgs...)
	if s.Process, err = StartProcess("wardle-apiserver", dir, binary, args...); err != nil {
		return nil, err
	}
	err = s.Process.WaitReady(ctx, ReadyTimeout, "standalone wardle-apiserver /readyz", func(ctx context.Context) error {
		// Read each time: the server writes it once it has its port.
		config, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
		if err != nil {
			return err
		}
		s.Admin = config
		client, err := kubernetes.NewForConfig(config)
		if err != nil {
			return err
		}
		return client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
	})
	if err != nil {
		_ = s.Process.Stop()
		return nil, fmt.Errorf("%w\nwardle-apiserver log:\n%s", err, s.Process.Log())
	}
	return s, nil
}
