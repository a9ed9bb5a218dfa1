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

package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	wardleversion "github.com/wardle-example/wardle-apiserver/pkg/version"
	"github.com/wardle-example/wardle-apiserver/test/testcerts"
)

// httpsClient trusts the server's CA and presents cert, if any, whatever
// CAs the server says it accepts.
func httpsClient(t *testing.T, pool *x509.CertPool, cert *tls.Certificate) *http.Client {
	tlsConfig := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		tlsConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: requestTimeout}
}

// expectForbiddenMessage fails unless the message of a 403 names user,
// the verb and what was refused (`resource "flunders"`, `path "/metrics"`),
// whichever authorizer's reason follows.
func expectForbiddenMessage(t *testing.T, message, user, verb, what string) {
	t.Helper()
	if !containsAll(message, fmt.Sprintf("User %q", user), " "+verb+" ", what) {
		t.Errorf("the 403 does not say that user %q may not %s %s: %s", user, verb, what, message)
	}
}

func TestAuthentication(t *testing.T) {
	e := startEnv(t)
	const ns = "auth"
	e.CreateNamespace(t, ns)
	flunders := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"
	newFlunder := func(name string) []byte {
		return []byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + name + `"}}`)
	}

	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(e.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatalf("reading the CA: %v", err)
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("no certificate in pki/ca.crt")
	}
	serverCA := testcerts.LoadCA(t, filepath.Join(e.DataDir, "pki"))

	// refused checks that a request without usable credentials gets a 401
	// or 403 Status, never a success, and returns the code.
	refused := func(t *testing.T, client *http.Client, method, path string, body []byte) int {
		t.Helper()
		r := do(t, client, method, e.SecureURL+path, "application/json", body)
		switch r.code {
		case http.StatusUnauthorized:
			r.expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
		case http.StatusForbidden:
			r.expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
		default:
			t.Errorf("%s %s: HTTP %d, want 401 or 403: %s", method, path, r.code, truncate(r.body))
		}
		return r.code
	}
	// Requests every unauthorized client must be refused, with the verb
	// and the resource or path a 403 names.
	protected := []struct {
		method, path string
		body         []byte
		verb, what   string
	}{
		{http.MethodGet, flunders, nil, "list", `resource "flunders"`},
		{http.MethodPost, flunders, newFlunder("intruder"), "create", `resource "flunders"`},
		{http.MethodDelete, flunders, nil, "deletecollection", `resource "flunders"`},
		{http.MethodGet, "/apis/" + group + "/v1alpha1/fischers", nil, "list", `resource "fischers"`},
		{http.MethodPost, "/apis/" + group + "/v1alpha1/fischers", []byte(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Fischer","metadata":{"name":"intruder"}}`), "create", `resource "fischers"`},
		{http.MethodGet, "/metrics", nil, "get", `path "/metrics"`},
	}
	expectNoIntruders := func(t *testing.T) {
		t.Helper()
		_, err := e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), "intruder", metav1.GetOptions{})
		expectNotFound(t, err)
		_, err = e.client.WardleV1beta1().Fischers().Get(t.Context(), "intruder", metav1.GetOptions{})
		expectNotFound(t, err)
	}

	// Something to protect: a collection delete must not reach it.
	if _, err := e.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder("precious", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	expectPreciousSurvives := func(t *testing.T) {
		t.Helper()
		if _, err := e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), "precious", metav1.GetOptions{}); err != nil {
			t.Errorf("an unauthorized request deleted a flunder: %v", err)
		}
	}

	t.Run("NoCredentials", func(t *testing.T) {
		client := httpsClient(t, pool, nil)
		for _, p := range protected {
			if code := refused(t, client, p.method, p.path, p.body); code == http.StatusForbidden {
				// Anonymous requests are authenticated as system:anonymous
				// and refused by authorization.
				r := do(t, client, p.method, e.SecureURL+p.path, "application/json", p.body)
				expectForbiddenMessage(t, r.status(t).Message, "system:anonymous", p.verb, p.what)
			}
		}
		expectNoIntruders(t)
		expectPreciousSurvives(t)
	})

	t.Run("HeadersAreNoCredentials", func(t *testing.T) {
		// The server has no token or password authenticator: such headers
		// never authenticate anyone, on the secure port.
		client := httpsClient(t, pool, nil)
		for _, header := range [][2]string{
			{"Authorization", "Bearer wardle-admin"},
			{"Authorization", "Basic d2FyZGxlLWFkbWluOndhcmRsZS1hZG1pbg=="},
			{"X-Remote-User", "wardle-admin"},
			{"X-Remote-Group", "system:masters"},
			{"Impersonate-User", "wardle-admin"},
		} {
			for _, p := range protected {
				r := do(t, client, p.method, e.SecureURL+p.path, "application/json", p.body, header[0], header[1])
				if r.code != http.StatusUnauthorized && r.code != http.StatusForbidden {
					t.Errorf("%s %s with %s: HTTP %d, want 401 or 403", p.method, p.path, header[0], r.code)
				}
			}
		}
		expectNoIntruders(t)
		expectPreciousSurvives(t)
	})

	t.Run("Impersonation", func(t *testing.T) {
		// The admin may impersonate, and then has only the rights of whom
		// it impersonates; the same holds on the insecure port.
		status := e.adminDo(t, http.MethodGet, flunders, "", nil, "Impersonate-User", "bob").expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
		expectForbiddenMessage(t, status.Message, "bob", "list", `resource "flunders"`)
		do(t, &http.Client{Timeout: requestTimeout}, http.MethodGet, e.InsecureURL+flunders, "", nil, "Impersonate-User", "bob").expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
		e.adminDo(t, http.MethodGet, flunders, "", nil, "Impersonate-User", "carol", "Impersonate-Group", "system:masters").expectCode(t, http.StatusOK)
	})

	t.Run("ClientCertFromAnotherCA", func(t *testing.T) {
		// Same identity as the admin, but signed by a CA the server does
		// not trust: authentication fails outright.
		otherCA := testcerts.NewCA(t, "wardle-ca")
		client := httpsClient(t, pool, ptrTo(testcerts.ClientCert(t, otherCA, "wardle-admin", "system:masters")))
		for _, p := range protected {
			do(t, client, p.method, e.SecureURL+p.path, "application/json", p.body).expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
		}
		expectNoIntruders(t)
		expectPreciousSurvives(t)
	})

	t.Run("SelfSignedClientCert", func(t *testing.T) {
		client := httpsClient(t, pool, ptrTo(testcerts.SelfSignedClientCert(t, "wardle-admin", "system:masters")))
		do(t, client, http.MethodGet, e.SecureURL+flunders, "", nil).expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
	})

	t.Run("AuthenticatedButNotAuthorized", func(t *testing.T) {
		// A user the server's CA vouches for, outside system:masters and
		// bound to no role: known (not 401) but allowed nothing (403).
		client := httpsClient(t, pool, ptrTo(testcerts.ClientCert(t, serverCA, "bob", "developers")))
		for _, p := range protected {
			r := do(t, client, p.method, e.SecureURL+p.path, "application/json", p.body)
			status := r.expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
			expectForbiddenMessage(t, status.Message, "bob", p.verb, p.what)
		}
		expectNoIntruders(t)
		expectPreciousSurvives(t)
		// Authenticated users may read health, version and discovery, as
		// in kube-apiserver: RBAC's bootstrap roles system:public-info-viewer
		// and system:discovery are bound to system:authenticated. Nothing
		// else: not the metrics.
		for _, path := range []string{"/healthz", "/livez", "/readyz", "/version", "/apis", "/openapi/v2"} {
			do(t, client, http.MethodGet, e.SecureURL+path, "", nil).expectCode(t, http.StatusOK)
		}
		for _, path := range []string{"/metrics", "/metrics/slis", "/debug/pprof/"} {
			status := do(t, client, http.MethodGet, e.SecureURL+path, "", nil).expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
			expectForbiddenMessage(t, status.Message, "bob", "get", `path "`+path+`"`)
		}
	})

	t.Run("AnyMasterIsAdmin", func(t *testing.T) {
		client := httpsClient(t, pool, ptrTo(testcerts.ClientCert(t, serverCA, "alice", "system:masters")))
		r := do(t, client, http.MethodPost, e.SecureURL+flunders, "application/json", newFlunder("by-alice")).expectCode(t, http.StatusCreated)
		if !strings.Contains(string(r.body), `"name":"by-alice"`) {
			t.Errorf("create response %s", truncate(r.body))
		}
	})

	t.Run("Admin", func(t *testing.T) {
		// The kubeconfig's credentials, over verified TLS.
		e.adminDo(t, http.MethodPost, flunders, "application/json", newFlunder("by-admin")).expectCode(t, http.StatusCreated)
		r := e.adminDo(t, http.MethodGet, flunders, "", nil).expectCode(t, http.StatusOK)
		if !containsAll(string(r.body), `"name":"by-admin"`, `"name":"precious"`) {
			t.Errorf("admin list: %s", truncate(r.body))
		}
		e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1alpha1/fischers", "", nil).expectCode(t, http.StatusOK)
	})

	t.Run("InsecurePort", func(t *testing.T) {
		// Plain HTTP on loopback, no credentials at all: the local admin.
		client := &http.Client{Timeout: requestTimeout}
		r := do(t, client, http.MethodPost, e.InsecureURL+flunders, "application/json", newFlunder("by-insecure")).expectCode(t, http.StatusCreated)
		var created wardlev1beta1.Flunder
		r.decode(t, &created)
		if created.Name != "by-insecure" || created.UID == "" {
			t.Errorf("create response %s", truncate(r.body))
		}
		r = do(t, client, http.MethodGet, e.InsecureURL+flunders, "", nil).expectCode(t, http.StatusOK)
		if !containsAll(string(r.body), `"name":"by-insecure"`, `"name":"precious"`) {
			t.Errorf("insecure list: %s", truncate(r.body))
		}
		do(t, client, http.MethodPost, e.InsecureURL+"/apis/"+group+"/v1beta1/fischers", "application/json",
			[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"by-insecure"}}`)).expectCode(t, http.StatusCreated)
		// The same objects as on the secure port.
		got, err := e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), "by-insecure", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the insecure port's flunder on the secure port: %v", err)
		}
		if got.UID != created.UID {
			t.Errorf("the secure port sees uid %q, the insecure port created %q", got.UID, created.UID)
		}
		do(t, client, http.MethodDelete, e.InsecureURL+flunders+"/by-insecure", "", nil).expectCode(t, http.StatusOK)
		_, err = e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), "by-insecure", metav1.GetOptions{})
		expectNotFound(t, err)

		r = do(t, client, http.MethodGet, e.InsecureURL+"/metrics", "", nil).expectCode(t, http.StatusOK)
		if !strings.Contains(string(r.body), "apiserver_request_total") {
			t.Errorf("insecure /metrics lacks apiserver_request_total")
		}
		do(t, client, http.MethodGet, e.InsecureURL+"/readyz", "", nil).expectCode(t, http.StatusOK)
		// And still checks what it is given.
		do(t, client, http.MethodPost, e.InsecureURL+flunders, "application/json", []byte(`{"kind":`)).expectFailure(t, http.StatusBadRequest, metav1.StatusReasonBadRequest)
	})

	t.Run("HealthAndInfo", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/livez", "/readyz", "/readyz/etcd", "/healthz/etcd"} {
			r := e.adminDo(t, http.MethodGet, path, "", nil).expectCode(t, http.StatusOK)
			if string(r.body) != "ok" {
				t.Errorf("%s: %q, want ok", path, r.body)
			}
		}
		r := e.adminDo(t, http.MethodGet, "/readyz?verbose", "", nil).expectCode(t, http.StatusOK)
		if !containsAll(string(r.body), "[+]etcd ok", "[+]ping ok", "readyz check passed") {
			t.Errorf("/readyz?verbose: %s", r.body)
		}
		r = e.adminDo(t, http.MethodGet, "/livez?verbose", "", nil).expectCode(t, http.StatusOK)
		if !containsAll(string(r.body), "[+]ping ok", "livez check passed") {
			t.Errorf("/livez?verbose: %s", r.body)
		}
		e.adminDo(t, http.MethodGet, "/readyz/no-such-check", "", nil).expectCode(t, http.StatusNotFound)

		var info version.Info
		e.adminDo(t, http.MethodGet, "/version", "", nil).expectCode(t, http.StatusOK).decode(t, &info)
		if info.GoVersion != runtime.Version() || info.Platform != runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("/version: %+v", info)
		}
		// The Kubernetes API level, as a semantic version kubectl version
		// can parse, with wardle's own version as build metadata:
		// v1.37.1+wardle.v0.1.0-dev.
		kube, err := utilversion.ParseSemantic(wardleversion.Kubernetes())
		if err != nil {
			t.Fatalf("version.Kubernetes() %q: %v", wardleversion.Kubernetes(), err)
		}
		if info.Major != fmt.Sprint(kube.Major()) || info.Minor != fmt.Sprint(kube.Minor()) {
			t.Errorf("/version major %q minor %q, want those of Kubernetes %s", info.Major, info.Minor, wardleversion.Kubernetes())
		}
		// A "+" in wardle's version would end the build metadata: the
		// server writes it as ".".
		wantBuild := "wardle." + strings.ReplaceAll(wardleversion.Wardle(), "+", ".")
		if v, err := utilversion.ParseSemantic(info.GitVersion); err != nil {
			t.Errorf("/version gitVersion %q is not a semantic version: %v", info.GitVersion, err)
		} else {
			if v.Major() != kube.Major() || v.Minor() != kube.Minor() || v.Patch() != kube.Patch() || v.PreRelease() != kube.PreRelease() {
				t.Errorf("/version gitVersion %q is not at Kubernetes %s", info.GitVersion, wardleversion.Kubernetes())
			}
			if v.BuildMetadata() != wantBuild {
				t.Errorf("/version gitVersion %q has build metadata %q, want %q", info.GitVersion, v.BuildMetadata(), wantBuild)
			}
		}

		r = e.adminDo(t, http.MethodGet, "/metrics", "", nil).expectCode(t, http.StatusOK)
		if !containsAll(string(r.body), "apiserver_request_total", `group="wardle.example.com"`, `resource="flunders"`) {
			t.Errorf("/metrics lacks the wardle request counters")
		}

		// Anonymous requests are off unless --anonymous-auth is given:
		// without credentials even the health endpoints are a 401.
		anonymous := httpsClient(t, pool, nil)
		for _, path := range []string{"/healthz", "/livez", "/readyz", "/version", "/metrics"} {
			do(t, anonymous, http.MethodGet, e.SecureURL+path, "", nil).expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
		}
	})
}
