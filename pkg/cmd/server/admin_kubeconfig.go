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
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// adminUser and adminGroup are the identity in admin.kubeconfig: the
	// group system:masters is allowed everything, as in kube-apiserver.
	adminUser  = "wardle-admin"
	adminGroup = "system:masters"
	// kubeconfigContext names the cluster, user and context in admin.kubeconfig.
	kubeconfigContext = "wardle"
)

// writeAdminKubeconfig writes a kubeconfig (mode 0600) that reaches the
// server at serverURL, verifies it with caPEM (the system roots when caPEM
// is empty), and authenticates with the admin client certificate.
func writeAdminKubeconfig(path, serverURL string, caPEM, certPEM, keyPEM []byte) error {
	config := clientcmdapi.NewConfig()
	config.Clusters[kubeconfigContext] = &clientcmdapi.Cluster{
		Server:                   serverURL,
		CertificateAuthorityData: caPEM,
	}
	config.AuthInfos[kubeconfigContext] = &clientcmdapi.AuthInfo{
		ClientCertificateData: certPEM,
		ClientKeyData:         keyPEM,
	}
	config.Contexts[kubeconfigContext] = &clientcmdapi.Context{
		Cluster:   kubeconfigContext,
		AuthInfo:  kubeconfigContext,
		Namespace: "default",
	}
	config.CurrentContext = kubeconfigContext
	return clientcmd.WriteToFile(*config, path)
}

// AdminKubeconfigPath is where a standalone server writes the admin kubeconfig.
func (o *WardleServerOptions) AdminKubeconfigPath() string {
	return filepath.Join(o.DataDir, "admin.kubeconfig")
}
