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
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/keyutil"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// ReadyTimeout bounds how long a server may take to become ready.
const ReadyTimeout = 2 * time.Minute

// KubeAPIServer is a kube-apiserver on 127.0.0.1 with client-certificate
// admin authentication, RBAC, and front-proxy (requestheader) certificates
// for the aggregator.
type KubeAPIServer struct {
	// Dir holds its certificates, kubeconfigs and log.
	Dir string
	// URL is its HTTPS address.
	URL string
	// CA signs its serving certificate and its users' client certificates.
	CA *pki.CA
	// AdminKubeconfig authenticates as a member of system:masters.
	AdminKubeconfig string
	Admin           *rest.Config
	Process         *Process
}

// StartKubeAPIServer starts binary on etcdURL, with its files in dir, and
// waits until it is ready. Stop it with Process.Stop.
func StartKubeAPIServer(ctx context.Context, dir, binary, etcdURL string, extraArgs ...string) (*KubeAPIServer, error) {
	k := &KubeAPIServer{Dir: dir}
	pkiDir := filepath.Join(dir, "pki")
	var err error
	if k.CA, err = pki.LoadOrCreateCA(pkiDir, "kubernetes-ca"); err != nil {
		return nil, err
	}
	if err := k.CA.EnsureServingCert(filepath.Join(pkiDir, "apiserver.crt"), filepath.Join(pkiDir, "apiserver.key"),
		[]string{"localhost", "kubernetes.default.svc"}, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		return nil, err
	}
	frontProxyCA, err := pki.LoadOrCreateCA(filepath.Join(dir, "front-proxy"), "front-proxy-ca")
	if err != nil {
		return nil, err
	}
	proxyCert, proxyKey := filepath.Join(dir, "front-proxy", "client.crt"), filepath.Join(dir, "front-proxy", "client.key")
	if _, _, err := frontProxyCA.EnsureClientCert(proxyCert, proxyKey, "front-proxy-client", nil); err != nil {
		return nil, err
	}
	saKey := filepath.Join(pkiDir, "sa.key")
	saKeyPEM, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return nil, err
	}
	if err := keyutil.WriteKey(saKey, saKeyPEM); err != nil {
		return nil, err
	}

	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	k.URL = "https://127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(port),
		"--etcd-servers=" + etcdURL,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--tls-cert-file=" + filepath.Join(pkiDir, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(pkiDir, "apiserver.key"),
		"--client-ca-file=" + k.CA.CertFile,
		"--authorization-mode=Node,RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--requestheader-client-ca-file=" + frontProxyCA.CertFile,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + proxyCert,
		"--proxy-client-key-file=" + proxyKey,
		"--enable-aggregator-routing=false",
	}, extraArgs...)
	if k.Process, err = StartProcess("kube-apiserver", dir, binary, args...); err != nil {
		return nil, err
	}
	ready := func() error {
		if k.AdminKubeconfig, err = k.UserKubeconfig("kubernetes-admin", "system:masters"); err != nil {
			return err
		}
		if k.Admin, err = clientcmd.BuildConfigFromFlags("", k.AdminKubeconfig); err != nil {
			return err
		}
		client, err := kubernetes.NewForConfig(k.Admin)
		if err != nil {
			return err
		}
		return k.Process.WaitReady(ctx, ReadyTimeout, "kube-apiserver /readyz", func(ctx context.Context) error {
			return client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
		})
	}
	if err := ready(); err != nil {
		_ = k.Process.Stop()
		return nil, fmt.Errorf("%w\nkube-apiserver log:\n%s", err, k.Process.Log())
	}
	return k, nil
}

// UserKubeconfig writes a kubeconfig for a user with a client certificate
// signed by the cluster CA, and returns its path.
func (k *KubeAPIServer) UserKubeconfig(user string, groups ...string) (string, error) {
	certPEM, keyPEM, err := k.CA.EnsureClientCert(filepath.Join(k.Dir, user+".crt"), filepath.Join(k.Dir, user+".key"), user, groups)
	if err != nil {
		return "", err
	}
	return k.writeKubeconfig(user, &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM})
}

// TokenKubeconfig writes a kubeconfig that authenticates with a bearer token.
func (k *KubeAPIServer) TokenKubeconfig(name, token string) (string, error) {
	return k.writeKubeconfig(name, &clientcmdapi.AuthInfo{Token: token})
}

func (k *KubeAPIServer) writeKubeconfig(name string, auth *clientcmdapi.AuthInfo) (string, error) {
	config := clientcmdapi.NewConfig()
	config.Clusters["local"] = &clientcmdapi.Cluster{Server: k.URL, CertificateAuthorityData: k.CA.CertPEM()}
	config.AuthInfos[name] = auth
	config.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	config.CurrentContext = "local"
	path := filepath.Join(k.Dir, name+".kubeconfig")
	return path, clientcmd.WriteToFile(*config, path)
}

// Kubectl runs kubectl as the admin and returns its combined output.
func (k *KubeAPIServer) Kubectl(stdin string, args ...string) (string, error) {
	return k.KubectlAs(k.AdminKubeconfig, stdin, args...)
}

// KubectlAs runs kubectl with a kubeconfig and returns its combined output.
func (k *KubeAPIServer) KubectlAs(kubeconfig, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+k.Dir)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}
