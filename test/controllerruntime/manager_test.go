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

package controllerruntime

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/launcher"
)

// What a kubebuilder project would have: an operator namespace holding the
// manager's ServiceAccount and its leader-election Lease, a namespace it
// watches, and the names its scaffold gives things.
const (
	operatorNamespace = "wardle-operator-system"
	watchedNamespace  = "team-a"
	otherNamespace    = "team-b"
	managerAccount    = "controller-manager"
	leaderElectionID  = "flunder-summary.wardle.example.com"
	// conditionSummary is the condition the reconciler sets on a Flunder.
	conditionSummary = "SummaryPublished"
	// waitTimeout bounds every wait for the manager to act.
	waitTimeout = 30 * time.Second
)

// summaryReconciler publishes a summary of each Flunder in a ConfigMap it
// owns, records an event, and reports it in the Flunder's status: what a
// kubebuilder controller does with its resource.
type summaryReconciler struct {
	client.Client
	recorder recorder.EventRecorder
}

func (r *summaryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var f wardlev1beta1.Flunder
	if err := r.Get(ctx, req.NamespacedName, &f); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: f.Name + "-summary", Namespace: f.Namespace}}
	op, err := controllerutil.CreateOrUpdate(ctx, r.Client, cm, func() error {
		cm.Data = map[string]string{"referenceType": string(f.Spec.ReferenceType)}
		return controllerutil.SetControllerReference(&f, cm, r.Scheme())
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	if op != controllerutil.OperationResultNone {
		r.recorder.Eventf(&f, cm, corev1.EventTypeNormal, "SummaryPublished", "Publish", "ConfigMap %s %s", cm.Name, op)
	}
	if meta.SetStatusCondition(&f.Status.Conditions, metav1.Condition{
		Type: conditionSummary, Status: metav1.ConditionTrue, Reason: "ConfigMapWritten", ObservedGeneration: f.Generation,
	}) {
		return ctrl.Result{}, r.Status().Update(ctx, &f)
	}
	return ctrl.Result{}, nil
}

// newManager builds a manager with the kubebuilder scaffold's settings
// (leader election, secure metrics behind authentication and
// authorization) on restConfig, its cache restricted to the watched namespace,
// and the summary controller registered.
func newManager(t *testing.T, restConfig *rest.Config, metricsAddr string) manager.Manager {
	t.Helper()
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	install.Install(scheme)
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme: scheme,
		Metrics: metricsserver.Options{
			BindAddress:    metricsAddr,
			SecureServing:  true,
			FilterProvider: filters.WithAuthenticationAndAuthorization,
		},
		HealthProbeBindAddress:  "0",
		LeaderElection:          true,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: operatorNamespace,
		// Shorter than the defaults (15s, 10s, 2s) so that a takeover fits
		// in a test; the mechanism is the same.
		LeaseDuration: ptr.To(4 * time.Second),
		RenewDeadline: ptr.To(3 * time.Second),
		RetryPeriod:   ptr.To(500 * time.Millisecond),
		Cache:         cache.Options{DefaultNamespaces: map[string]cache.Config{watchedNamespace: {}}},
		// Two managers run in this one process (in a real project, two
		// pods), so their controllers share a name and metrics.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	if err := ctrl.NewControllerManagedBy(mgr).
		For(&wardlev1beta1.Flunder{}).
		Owns(&corev1.ConfigMap{}).
		Complete(&summaryReconciler{Client: mgr.GetClient(), recorder: mgr.GetEventRecorder("flunder-summary")}); err != nil {
		t.Fatalf("building the controller: %v", err)
	}
	return mgr
}

// runningManager is a manager started in the background.
type runningManager struct {
	manager.Manager
	stop     func()
	done     chan error
	stopOnce sync.Once
}

func startManager(t *testing.T, mgr manager.Manager) *runningManager {
	ctx, cancel := context.WithCancel(context.Background())
	m := &runningManager{Manager: mgr, stop: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	t.Cleanup(func() { m.Stop(t) })
	return m
}

// Stop stops the manager and waits for Start to return. It is safe to call
// more than once.
func (m *runningManager) Stop(t *testing.T) {
	m.stopOnce.Do(func() {
		m.stop()
		select {
		case err := <-m.done:
			if err != nil {
				t.Errorf("manager: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("the manager did not stop within %v", waitTimeout)
		}
	})
}

// TestKubebuilderManager runs controller-runtime managers configured as the
// kubebuilder scaffold configures them, as a ServiceAccount with the RBAC
// such a project ships, against a standalone server: leader election on a
// Lease, an event recorder, a controller that owns ConfigMaps and writes
// Flunder status, a cache restricted to one namespace, and secure metrics
// that authenticate and authorize their callers through the server.
func TestKubebuilderManager(t *testing.T) {
	log.SetLogger(testr.NewWithOptions(t, testr.Options{Verbosity: 0}))
	s := launcher.Start(t, "--controllers=garbage-collector-controller")
	ctx := t.Context()
	admin, err := kubernetes.NewForConfig(s.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateNamespaces(t, operatorNamespace, watchedNamespace, otherNamespace, "monitoring")
	grantOperatorRBAC(t, admin)
	managerConfig := serviceAccountConfig(t, s.AdminConfig, admin, operatorNamespace, managerAccount)

	metricsAddr := freeLoopbackAddress(t)
	first := startManager(t, newManager(t, managerConfig, metricsAddr))
	select {
	case <-first.Elected():
	case <-time.After(waitTimeout):
		t.Fatalf("the first manager was not elected within %v", waitTimeout)
	}
	firstHolder := leaseHolder(t, admin)
	// The second manager serves its metrics elsewhere and waits for the Lease.
	second := startManager(t, newManager(t, managerConfig, freeLoopbackAddress(t)))

	cs, err := clientset.NewForConfig(s.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("reconciles", func(t *testing.T) {
		alpha := createFlunder(t, cs, watchedNamespace, "alpha")
		cm := waitForSummary(t, admin, watchedNamespace, "alpha")
		if owner := metav1.GetControllerOf(cm); owner == nil || owner.UID != alpha.UID || owner.Kind != "Flunder" || !ptr.Deref(owner.BlockOwnerDeletion, false) {
			t.Errorf("ConfigMap's controller = %+v, want Flunder alpha (uid %s) blocking owner deletion", owner, alpha.UID)
		}
		waitFor(t, "alpha's SummaryPublished condition", func(ctx context.Context) (bool, error) {
			f, err := cs.WardleV1beta1().Flunders(watchedNamespace).Get(ctx, "alpha", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return meta.IsStatusConditionTrue(f.Status.Conditions, conditionSummary), nil
		})
		waitFor(t, "the SummaryPublished event (events.k8s.io/v1) about alpha", func(ctx context.Context) (bool, error) {
			events, err := admin.EventsV1().Events(watchedNamespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for _, e := range events.Items {
				if e.Regarding.Kind == "Flunder" && e.Regarding.Name == "alpha" && e.Reason == "SummaryPublished" &&
					e.Related != nil && e.Related.Name == "alpha-summary" && e.ReportingController == "flunder-summary" {
					return true, nil
				}
			}
			return false, nil
		})
	})

	t.Run("owns its ConfigMaps", func(t *testing.T) {
		before := waitForSummary(t, admin, watchedNamespace, "alpha")
		if err := admin.CoreV1().ConfigMaps(watchedNamespace).Delete(ctx, before.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the deleted ConfigMap to be recreated", func(ctx context.Context) (bool, error) {
			cm, err := admin.CoreV1().ConfigMaps(watchedNamespace).Get(ctx, before.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil && cm.UID != before.UID, err
		})
	})

	t.Run("secure metrics", func(t *testing.T) {
		reader := createServiceAccountToken(t, admin, "monitoring", "prometheus")
		stranger := createServiceAccountToken(t, admin, "monitoring", "stranger")
		// The manager starts its metrics server among its other runnables,
		// in no order with the controller the subtests above saw working:
		// wait until it listens.
		waitFor(t, "the metrics server to listen on "+metricsAddr, func(ctx context.Context) (bool, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", metricsAddr)
			if err != nil {
				return false, nil
			}
			return true, conn.Close()
		})
		url := "https://" + metricsAddr + "/metrics"
		code, body := getMetrics(t, url, reader)
		if code != http.StatusOK || !strings.Contains(body, "controller_runtime_reconcile_total") {
			t.Errorf("GET /metrics with a token allowed to read it: %d, want 200 with controller_runtime_reconcile_total\n%.300s", code, body)
		}
		if code, body := getMetrics(t, url, stranger); code != http.StatusForbidden {
			t.Errorf("GET /metrics with a token not allowed to: %d, want 403\n%.300s", code, body)
		}
		if code, body := getMetrics(t, url, ""); code != http.StatusUnauthorized {
			t.Errorf("GET /metrics without a token: %d, want 401\n%.300s", code, body)
		}
	})

	t.Run("deleting the Flunder garbage-collects its ConfigMap", func(t *testing.T) {
		if err := cs.WardleV1beta1().Flunders(watchedNamespace).Delete(ctx, "alpha", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "alpha-summary to be garbage-collected", func(ctx context.Context) (bool, error) {
			_, err := admin.CoreV1().ConfigMaps(watchedNamespace).Get(ctx, "alpha-summary", metav1.GetOptions{})
			return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
		})
	})

	t.Run("the second manager takes over", func(t *testing.T) {
		select {
		case <-second.Elected():
			t.Fatal("the second manager was elected while the first held the Lease")
		default:
		}
		first.Stop(t)
		select {
		case <-second.Elected():
		case <-time.After(waitTimeout):
			t.Fatalf("the second manager was not elected within %v of the first stopping", waitTimeout)
		}
		if holder := leaseHolder(t, admin); holder == firstHolder {
			t.Errorf("the Lease is still held by %q", holder)
		}
		createFlunder(t, cs, watchedNamespace, "beta")
		waitForSummary(t, admin, watchedNamespace, "beta")
	})

	t.Run("only the watched namespace", func(t *testing.T) {
		createFlunder(t, cs, otherNamespace, "gamma")
		createFlunder(t, cs, watchedNamespace, "delta")
		// Once delta, created after gamma, is reconciled, gamma would have
		// been too, were its namespace watched.
		waitForSummary(t, admin, watchedNamespace, "delta")
		if _, err := admin.CoreV1().ConfigMaps(otherNamespace).Get(ctx, "gamma-summary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("a Flunder outside the cache's namespace was reconciled: get gamma-summary: %v", err)
		}
	})
}

// grantOperatorRBAC gives the manager's ServiceAccount what a kubebuilder
// project's config/rbac gives it: its controller's rights (bound in the
// watched namespace only), leader election in its own namespace, and
// TokenReview and SubjectAccessReview for the metrics filter; and lets
// monitoring/prometheus read /metrics.
func grantOperatorRBAC(t *testing.T, admin kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	manager := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: operatorNamespace, Name: managerAccount}}
	clusterRoles := []rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "manager-role"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"wardle.example.com"}, Resources: []string{"flunders"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{"wardle.example.com"}, Resources: []string{"flunders/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "metrics-auth-role"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"}, Rules: []rbacv1.PolicyRule{
			{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
		}},
	}
	for i := range clusterRoles {
		if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &clusterRoles[i], metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ClusterRole %s: %v", clusterRoles[i].Name, err)
		}
	}
	leaderElection := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "leader-election-role", Namespace: operatorNamespace}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}}
	if _, err := admin.RbacV1().Roles(operatorNamespace).Create(ctx, leaderElection, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Role: %v", err)
	}
	for _, b := range []rbacv1.RoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "manager-rolebinding", Namespace: watchedNamespace}, Subjects: manager,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "manager-role"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "leader-election-rolebinding", Namespace: operatorNamespace}, Subjects: manager,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "leader-election-role"}},
	} {
		if _, err := admin.RbacV1().RoleBindings(b.Namespace).Create(ctx, &b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create RoleBinding %s: %v", b.Name, err)
		}
	}
	for _, b := range []rbacv1.ClusterRoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "metrics-auth-rolebinding"}, Subjects: manager,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-auth-role"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "monitoring", Name: "prometheus"}},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"}},
	} {
		if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ClusterRoleBinding %s: %v", b.Name, err)
		}
	}
}

// createServiceAccountToken creates a ServiceAccount and returns a token
// for it from the TokenRequest API, as kubectl create token does.
func createServiceAccountToken(t *testing.T, admin kubernetes.Interface, namespace, name string) string {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if _, err := admin.CoreV1().ServiceAccounts(namespace).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create ServiceAccount %s/%s: %v", namespace, name, err)
	}
	token, err := admin.CoreV1().ServiceAccounts(namespace).CreateToken(t.Context(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", namespace, name, err)
	}
	return token.Status.Token
}

// serviceAccountConfig is a rest.Config that reaches the server as the
// ServiceAccount, with the server's certificate verified as the admin's is.
func serviceAccountConfig(t *testing.T, adminConfig *rest.Config, admin kubernetes.Interface, namespace, name string) *rest.Config {
	t.Helper()
	config := rest.AnonymousClientConfig(adminConfig)
	config.BearerToken = createServiceAccountToken(t, admin, namespace, name)
	return config
}

// leaseHolder returns who holds the manager's Lease.
func leaseHolder(t *testing.T, admin kubernetes.Interface) string {
	t.Helper()
	lease, err := admin.CoordinationV1().Leases(operatorNamespace).Get(t.Context(), leaderElectionID, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Lease %s/%s: %v", operatorNamespace, leaderElectionID, err)
	}
	return ptr.Deref(lease.Spec.HolderIdentity, "")
}

// getMetrics GETs the manager's metrics as a Prometheus would, with token
// (if any) as the bearer token. The metrics server's certificate is
// self-signed, as the scaffold leaves it.
func getMetrics(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: waitTimeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the scaffold's self-signed metrics certificate
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// freeLoopbackAddress returns a loopback address with a port that was free
// a moment ago, for a server that cannot report the port it bound.
func freeLoopbackAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// createFlunder creates a Flunder that refers to nothing.
func createFlunder(t *testing.T, cs clientset.Interface, namespace, name string) *wardlev1beta1.Flunder {
	t.Helper()
	f, err := cs.WardleV1beta1().Flunders(namespace).Create(t.Context(), &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Flunder %s/%s: %v", namespace, name, err)
	}
	return f
}

// waitForSummary waits until the Flunder's summary ConfigMap exists.
func waitForSummary(t *testing.T, admin kubernetes.Interface, namespace, flunder string) *corev1.ConfigMap {
	t.Helper()
	var cm *corev1.ConfigMap
	waitFor(t, fmt.Sprintf("ConfigMap %s/%s-summary", namespace, flunder), func(ctx context.Context) (bool, error) {
		var err error
		cm, err = admin.CoreV1().ConfigMaps(namespace).Get(ctx, flunder+"-summary", metav1.GetOptions{})
		return err == nil, client.IgnoreNotFound(err)
	})
	return cm
}

// waitFor polls done until it is true, fails, or waitTimeout passes.
func waitFor(t *testing.T, what string, done func(context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, waitTimeout, true, done); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
