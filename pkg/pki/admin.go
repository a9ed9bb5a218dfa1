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

package pki

import (
	"crypto/x509"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The names a server and `wardle-apiserver pki create` give the same
// things, so that what one makes the other reads as its own.
const (
	// CACommonName names the CA of a server's cert dir, which signs its
	// serving certificate and the admin's client certificate.
	CACommonName = "wardle-ca"
	// AdminUser and AdminGroup are the identity in admin.kubeconfig: the
	// group system:masters is allowed everything, as in kube-apiserver.
	AdminUser  = "wardle-admin"
	AdminGroup = "system:masters"
	// kubeconfigContext names the cluster, user and context in admin.kubeconfig.
	kubeconfigContext = "wardle"
)

// AdminCertSpec is the admin's client certificate.
func AdminCertSpec() CertSpec {
	return CertSpec{CommonName: AdminUser, Organizations: []string{AdminGroup}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// AdminKubeconfig returns a kubeconfig that reaches the server at
// serverURL, verifies it with caPEM (the system roots when caPEM is empty),
// and authenticates with the admin client certificate certPEM and its key.
func AdminKubeconfig(serverURL string, caPEM, certPEM, keyPEM []byte) *clientcmdapi.Config {
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
	return config
}
