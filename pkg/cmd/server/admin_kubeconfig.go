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
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// writeAdminKubeconfig writes a kubeconfig (mode 0600) that reaches the
// server at serverURL, verifies it with caPEM (the system roots when caPEM
// is empty), and authenticates with the admin client certificate: the
// same one `wardle-apiserver pki create` writes, for another server URL.
func writeAdminKubeconfig(path, serverURL string, caPEM, certPEM, keyPEM []byte) error {
	return clientcmd.WriteToFile(*pki.AdminKubeconfig(serverURL, caPEM, certPEM, keyPEM), path)
}

// AdminKubeconfigPath is where a standalone server writes the admin kubeconfig.
func (o *WardleServerOptions) AdminKubeconfigPath() string {
	return filepath.Join(o.DataDir, "admin.kubeconfig")
}
