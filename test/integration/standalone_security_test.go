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
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/wardle-example/wardle-apiserver/test/testcerts"
)

// The identities and requests of the standalone security table.
const (
	reqGet          = "get"
	reqList         = "list"
	reqCreate       = "create"
	reqUpdateStatus = "update status"
	reqDelete       = "delete"
	reqReadyz       = "/readyz"
	reqMetrics      = "/metrics"
)

var securityRequests = []string{reqGet, reqList, reqCreate, reqUpdateStatus, reqDelete, reqReadyz, reqMetrics}

// securityRefused is the verb and the resource or path a 403 to each
// request of the table names.
var securityRefused = map[string][2]string{
	reqGet:          {"get", `resource "flunders"`},
	reqList:         {"list", `resource "flunders"`},
	reqCreate:       {"create", `resource "flunders"`},
	reqUpdateStatus: {"update", `resource "flunders/status"`},
	reqDelete:       {"delete", `resource "flunders"`},
	reqReadyz:       {"get", `path "/readyz"`},
	reqMetrics:      {"get", `path "/metrics"`},
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverCAPool trusts the CA in a test server's data dir.
func serverCAPool(t *testing.T, e *env) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(e.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in pki/ca.crt")
	}
	return pool
}

// TestStandaloneSecurityTable sends every request of the table as every
// identity of the table to a server with a token file, a policy file and an
// audit log, and checks each code.
func TestStandaloneSecurityTable(t *testing.T) {
	dir := t.TempDir()
	tokens := writeFile(t, dir, "tokens.csv", "reader-token,reader,1001,\"readers\"\nnorule-token,norule,1002\n")
	policy := writeFile(t, dir, "policy.jsonl", `# readers may read wardle objects, in every namespace
{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"group":"readers","namespace":"*","apiGroup":"wardle.example.com","resource":"*","readonly":true}}
`)
	auditPolicy := writeFile(t, dir, "audit-policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
	auditLog := filepath.Join(dir, "audit.log")
	e := startEnv(t, "--token-auth-file="+tokens, "--authorization-policy-file="+policy,
		"--audit-policy-file="+auditPolicy, "--audit-log-path="+auditLog)

	const ns = "security"
	e.CreateNamespace(t, ns)
	base := e.SecureURL + "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"
	flunder := func(name string) []byte {
		return mustJSON(t, map[string]any{"apiVersion": group + "/v1beta1", "kind": "Flunder", "metadata": map[string]any{"name": name}})
	}
	do(t, e.http, http.MethodPost, base, "application/json", flunder("target"), "").expectCode(t, http.StatusCreated)

	pool := serverCAPool(t, e)
	admin, err := tls.LoadX509KeyPair(filepath.Join(e.DataDir, "pki", "admin.crt"), filepath.Join(e.DataDir, "pki", "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	foreign := testcerts.ClientCert(t, testcerts.NewCA(t, "some-other-ca"), "mallory", "system:masters")
	plain := httpsClient(t, pool, nil)

	type identity struct {
		name   string
		client *http.Client
		token  string
		want   map[string]int
	}
	codes := func(get, list, create, status, del, readyz, metrics int) map[string]int {
		return map[string]int{reqGet: get, reqList: list, reqCreate: create, reqUpdateStatus: status, reqDelete: del, reqReadyz: readyz, reqMetrics: metrics}
	}
	const ok, created, unauthorized, forbidden = http.StatusOK, http.StatusCreated, http.StatusUnauthorized, http.StatusForbidden
	identities := []identity{
		{"admin certificate", httpsClient(t, pool, &admin), "", codes(ok, ok, created, ok, ok, ok, ok)},
		{"token user with a read-only rule", plain, "reader-token", codes(ok, ok, forbidden, forbidden, forbidden, ok, forbidden)},
		{"token user with no rule", plain, "norule-token", codes(forbidden, forbidden, forbidden, forbidden, forbidden, ok, forbidden)},
		{"bad token", plain, "no-such-token", codes(unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized)},
		{"no credentials", plain, "", codes(unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized)},
		{"certificate from an unknown CA", httpsClient(t, pool, &foreign), "", codes(unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized, unauthorized)},
	}

	for i, id := range identities {
		// Each identity tries to delete an object of its own, so an
		// allowed delete does not change what the others see.
		victim := fmt.Sprintf("victim-%d", i)
		do(t, e.http, http.MethodPost, base, "application/json", flunder(victim), "").expectCode(t, http.StatusCreated)
		var headers []string
		if id.token != "" {
			headers = []string{"Authorization", "Bearer " + id.token}
		}
		send := func(method, url string, body []byte) response {
			contentType := ""
			if body != nil {
				contentType = "application/json"
			}
			return do(t, id.client, method, url, contentType, body, headers...)
		}
		statusBody := mustJSON(t, map[string]any{
			"apiVersion": group + "/v1beta1", "kind": "Flunder",
			"metadata": map[string]any{"name": "target", "namespace": ns},
			"status":   map[string]any{"observedGeneration": i + 1},
		})
		t.Run(id.name, func(t *testing.T) {
			got := map[string]response{
				reqGet:          send(http.MethodGet, base+"/target", nil),
				reqList:         send(http.MethodGet, base, nil),
				reqCreate:       send(http.MethodPost, base, flunder(fmt.Sprintf("created-by-%d", i))),
				reqUpdateStatus: send(http.MethodPut, base+"/target/status", statusBody),
				reqDelete:       send(http.MethodDelete, base+"/"+victim, nil),
				reqReadyz:       send(http.MethodGet, e.SecureURL+"/readyz", nil),
				reqMetrics:      send(http.MethodGet, e.SecureURL+"/metrics", nil),
			}
			for _, req := range securityRequests {
				r := got[req]
				if r.code != id.want[req] {
					t.Errorf("%s: got %d, want %d: %s", req, r.code, id.want[req], truncate(r.body))
					continue
				}
				if r.code == forbidden {
					// A 403 says who was denied what.
					status := r.status(t)
					user := map[string]string{"reader-token": "reader", "norule-token": "norule"}[id.token]
					expectForbiddenMessage(t, status.Message, user, securityRefused[req][0], securityRefused[req][1])
				}
				if r.code == unauthorized && !strings.HasPrefix(req, "/") {
					if status := r.status(t); status.Reason != metav1.StatusReasonUnauthorized {
						t.Errorf("%s: 401 with reason %q", req, status.Reason)
					}
				}
			}
			// A refused delete deleted nothing.
			if id.want[reqDelete] != ok {
				do(t, e.http, http.MethodGet, base+"/"+victim, "", nil).expectCode(t, http.StatusOK)
			}
		})
	}

	t.Run("a create is audited with user, verb, resource and code", func(t *testing.T) {
		var found auditv1.Event
		err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			data, err := os.ReadFile(auditLog)
			if err != nil {
				return false, nil
			}
			scanner := bufio.NewScanner(bytes.NewReader(data))
			scanner.Buffer(make([]byte, 1<<20), 1<<20)
			for scanner.Scan() {
				var ev auditv1.Event
				if json.Unmarshal(scanner.Bytes(), &ev) != nil || ev.Stage != auditv1.StageResponseComplete {
					continue
				}
				if ev.Verb == "create" && ev.User.Username == "wardle-admin" && ev.ObjectRef != nil &&
					ev.ObjectRef.Resource == "flunders" && ev.ObjectRef.Namespace == ns && ev.ObjectRef.Name == "target" &&
					ev.ResponseStatus != nil && ev.ResponseStatus.Code == http.StatusCreated {
					found = ev
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("no ResponseComplete audit event for the admin's create of flunder %s/target with code 201 in %s: %v", ns, auditLog, err)
		}
		if found.ObjectRef.APIGroup != group || found.ObjectRef.APIVersion != "v1beta1" {
			t.Errorf("audited object %+v", found.ObjectRef)
		}
	})
}

// TestAnonymousAuth checks that --anonymous-auth=true lets requests without
// credentials reach the health checks and /version, and nothing else.
func TestAnonymousAuth(t *testing.T) {
	e := startEnv(t, "--anonymous-auth=true")
	plain := httpsClient(t, serverCAPool(t, e), nil)
	for path, want := range map[string]int{
		"/healthz": http.StatusOK, "/livez": http.StatusOK, "/readyz": http.StatusOK, "/version": http.StatusOK,
		"/metrics": http.StatusUnauthorized, "/apis": http.StatusUnauthorized,
		"/apis/" + group + "/v1beta1/namespaces/default/flunders": http.StatusUnauthorized,
	} {
		if r := do(t, plain, http.MethodGet, e.SecureURL+path, "", nil); r.code != want {
			t.Errorf("anonymous GET %s: got %d, want %d: %s", path, r.code, want, truncate(r.body))
		}
	}
	body := mustJSON(t, map[string]any{"apiVersion": group + "/v1beta1", "kind": "Flunder", "metadata": map[string]any{"name": "anon"}})
	do(t, plain, http.MethodPost, e.SecureURL+"/apis/"+group+"/v1beta1/namespaces/default/flunders", "application/json", body).
		expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
}

// TestWebhooks runs a TokenReview and a SubjectAccessReview webhook and
// checks that the server asks them.
func TestWebhooks(t *testing.T) {
	hooks := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/authenticate":
			var review authenticationv1.TokenReview
			if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if review.Spec.Token == "hook-token" {
				review.Status = authenticationv1.TokenReviewStatus{Authenticated: true,
					User: authenticationv1.UserInfo{Username: "hooked", Groups: []string{"webhook-users"}}}
			}
			_ = json.NewEncoder(w).Encode(review)
		case "/authorize":
			var review authorizationv1.SubjectAccessReview
			if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			attrs := review.Spec.ResourceAttributes
			review.Status.Allowed = review.Spec.User == "hooked" && attrs != nil && attrs.Resource == "flunders" &&
				(attrs.Verb == "get" || attrs.Verb == "list")
			if !review.Status.Allowed {
				review.Status.Reason = "the test webhook only lets hooked read flunders"
			}
			_ = json.NewEncoder(w).Encode(review)
		default:
			http.NotFound(w, r)
		}
	}))
	defer hooks.Close()

	dir := t.TempDir()
	hookKubeconfig := func(name, path string) string {
		config := clientcmdapi.NewConfig()
		config.Clusters["hook"] = &clientcmdapi.Cluster{Server: hooks.URL + path,
			CertificateAuthorityData: pemCert(hooks.Certificate())}
		config.AuthInfos["server"] = &clientcmdapi.AuthInfo{}
		config.Contexts["hook"] = &clientcmdapi.Context{Cluster: "hook", AuthInfo: "server"}
		config.CurrentContext = "hook"
		file := filepath.Join(dir, name)
		if err := clientcmd.WriteToFile(*config, file); err != nil {
			t.Fatal(err)
		}
		return file
	}
	e := startEnv(t,
		"--authentication-token-webhook-config-file="+hookKubeconfig("authn.kubeconfig", "/authenticate"),
		"--authorization-webhook-config-file="+hookKubeconfig("authz.kubeconfig", "/authorize"))

	plain := httpsClient(t, serverCAPool(t, e), nil)
	flunders := e.SecureURL + "/apis/" + group + "/v1beta1/namespaces/default/flunders"
	do(t, plain, http.MethodGet, flunders, "", nil, "Authorization", "Bearer hook-token").expectCode(t, http.StatusOK)
	body := mustJSON(t, map[string]any{"apiVersion": group + "/v1beta1", "kind": "Flunder", "metadata": map[string]any{"name": "hooked"}})
	status := do(t, plain, http.MethodPost, flunders, "application/json", body, "Authorization", "Bearer hook-token").
		expectFailure(t, http.StatusForbidden, metav1.StatusReasonForbidden)
	if !strings.Contains(status.Message, `User "hooked" cannot create`) || !strings.Contains(status.Message, "the test webhook only lets hooked read flunders") {
		t.Errorf("403 message: %s", status.Message)
	}
	do(t, plain, http.MethodGet, flunders, "", nil, "Authorization", "Bearer wrong-token").
		expectFailure(t, http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
}

// pemCert encodes a certificate in PEM form.
func pemCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}
