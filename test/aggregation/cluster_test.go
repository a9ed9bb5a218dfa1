//go:build aggregation

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

package aggregation

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/keyutil"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// readyTimeout bounds how long a server may take to become ready.
const readyTimeout = 2 * time.Minute

// cluster is a kube-apiserver on loopback with an etcd in the test process.
type cluster struct {
	dir string
	// etcdURL is the etcd both API servers store their data in.
	etcdURL string
	// url is kube-apiserver's HTTPS address.
	url string
	// ca signs kube-apiserver's serving certificate and its client certificates.
	ca *pki.CA
	// adminKubeconfig authenticates as a member of system:masters.
	adminKubeconfig string
	admin           *rest.Config
}

// startCluster starts etcd and kube-apiserver with client-certificate admin
// authentication, front-proxy (requestheader) certificates for the
// aggregator and RBAC, everything on 127.0.0.1.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{dir: t.TempDir()}

	etcdConfig, err := embeddedetcd.NewConfig(filepath.Join(c.dir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := embeddedetcd.Start(context.Background(), etcdConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	c.etcdURL = etcdConfig.ClientURL.String()

	pkiDir := filepath.Join(c.dir, "pki")
	c.ca, err = pki.LoadOrCreateCA(pkiDir, "kubernetes-ca")
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.ca.EnsureServingCert(filepath.Join(pkiDir, "apiserver.crt"), filepath.Join(pkiDir, "apiserver.key"),
		[]string{"localhost", "kubernetes.default.svc"}, []net.IP{net.ParseIP("127.0.0.1")}))
	frontProxyCA, err := pki.LoadOrCreateCA(filepath.Join(c.dir, "front-proxy"), "front-proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	proxyCert, proxyKey := filepath.Join(c.dir, "front-proxy", "client.crt"), filepath.Join(c.dir, "front-proxy", "client.key")
	if _, _, err := frontProxyCA.EnsureClientCert(proxyCert, proxyKey, "front-proxy-client", nil); err != nil {
		t.Fatal(err)
	}
	saKey := filepath.Join(pkiDir, "sa.key")
	writeECKey(t, saKey)

	port := freePort(t)
	c.url = "https://127.0.0.1:" + itoa(port)
	p := startProcess(t, "kube-apiserver", c.dir, kubeAPIServerBinary,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port="+itoa(port),
		"--etcd-servers="+c.etcdURL,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--tls-cert-file="+filepath.Join(pkiDir, "apiserver.crt"),
		"--tls-private-key-file="+filepath.Join(pkiDir, "apiserver.key"),
		"--client-ca-file="+c.ca.CertFile,
		"--authorization-mode=Node,RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saKey,
		"--service-account-signing-key-file="+saKey,
		"--requestheader-client-ca-file="+frontProxyCA.CertFile,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file="+proxyCert,
		"--proxy-client-key-file="+proxyKey,
		"--enable-aggregator-routing=false",
	)

	c.adminKubeconfig = c.userKubeconfig(t, "kubernetes-admin", "system:masters")
	c.admin, err = clientcmd.BuildConfigFromFlags("", c.adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(c.admin)
	poll(t, readyTimeout, "kube-apiserver /readyz", func(ctx context.Context) error {
		if err := p.running(); err != nil {
			return fatal{err}
		}
		return client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
	})
	return c
}

// userKubeconfig writes a kubeconfig for a user with a client certificate
// signed by the cluster CA, and returns its path.
func (c *cluster) userKubeconfig(t *testing.T, user string, groups ...string) string {
	t.Helper()
	certPEM, keyPEM, err := c.ca.EnsureClientCert(filepath.Join(c.dir, user+".crt"), filepath.Join(c.dir, user+".key"), user, groups)
	if err != nil {
		t.Fatal(err)
	}
	return c.writeKubeconfig(t, user, &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM})
}

// tokenKubeconfig writes a kubeconfig that authenticates with a bearer token.
func (c *cluster) tokenKubeconfig(t *testing.T, name, token string) string {
	t.Helper()
	return c.writeKubeconfig(t, name, &clientcmdapi.AuthInfo{Token: token})
}

func (c *cluster) writeKubeconfig(t *testing.T, name string, auth *clientcmdapi.AuthInfo) string {
	t.Helper()
	config := clientcmdapi.NewConfig()
	config.Clusters["local"] = &clientcmdapi.Cluster{Server: c.url, CertificateAuthorityData: c.ca.CertPEM()}
	config.AuthInfos[name] = auth
	config.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	config.CurrentContext = "local"
	path := filepath.Join(c.dir, name+".kubeconfig")
	must(t, clientcmd.WriteToFile(*config, path))
	return path
}

// kubectl runs kubectl against the cluster as the admin and returns its
// output; it fails the test if kubectl fails.
func (c *cluster) kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.tryKubectl(stdin, c.adminKubeconfig, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryKubectl runs kubectl with a kubeconfig and returns its combined output.
func (c *cluster) tryKubectl(stdin, kubeconfig string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+c.dir)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// fatal wraps an error that should end a poll at once.
type fatal struct{ error }

// poll calls check until it returns nil or timeout passes; a fatal error
// ends it at once.
func poll(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		if f, ok := last.(fatal); ok {
			return false, f.error
		}
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v (last: %v)", what, err, last)
	}
}

func writeECKey(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	must(t, keyutil.WriteKey(path, data))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
