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

package controlplane

import (
	"errors"
	"net/http"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	rbacrest "k8s.io/kubernetes/pkg/registry/rbac/rest"
)

// RBACPolicy is RBAC objects a server reconciles at every start, beside
// Kubernetes' bootstrap policy, with the same reconciliation (missing rules
// are added; a role annotated rbac.authorization.kubernetes.io/autoupdate
// "false" is left alone).
type RBACPolicy struct {
	// Name names the post-start hook that reconciles them.
	Name         string
	ClusterRoles []rbacv1.ClusterRole
}

// ensureHook reconciles the policy through the loopback client.
func (p RBACPolicy) ensureHook() genericapiserver.PostStartHookFunc {
	names := make([]string, 0, len(p.ClusterRoles))
	for _, role := range p.ClusterRoles {
		names = append(names, role.Name)
	}
	return reconcileInBackgroundOnceCreated((&rbacrest.PolicyData{ClusterRoles: p.ClusterRoles}).EnsureRBACPolicy(), names...)
}

// reconcileInBackgroundOnceCreated wraps a post-start hook that reconciles
// bootstrap RBAC policy (Kubernetes' own, or RBACPolicy's). Such a hook
// waits a second before its first attempt and then reconciles every role,
// and the server is not ready until it returns: right on a fresh data dir,
// where nobody but system:masters could be authorized before it is done,
// but a second and more of every later start for nothing, since the roles
// are there already. So when the ClusterRoles named exist, the server is
// ready at once and the reconciliation (which then only adds what a newer
// release added) runs in the background.
func reconcileInBackgroundOnceCreated(hook genericapiserver.PostStartHookFunc, clusterRoles ...string) genericapiserver.PostStartHookFunc {
	return func(ctx genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
		if err != nil {
			return err
		}
		for _, name := range clusterRoles {
			if _, err := client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{}); err != nil {
				if ctx.Err() != nil {
					return nil // stopping before it served: nothing to reconcile for
				}
				return runUntilStopped(ctx, hook)
			}
		}
		go func() {
			if err := runUntilStopped(ctx, hook); err != nil {
				klog.ErrorS(err, "Reconciling the bootstrap RBAC policy failed")
			}
		}()
		return nil
	}
}

// bootstrapPolling is how long Kubernetes' RBAC bootstrap hook tries
// before it gives up (and, as a post-start hook, stops the server).
const bootstrapPolling = 30 * time.Second

// runUntilStopped runs hook, an RBAC bootstrap hook, until it returns or
// the server stops, whichever comes first; a server that stops while it
// runs is no failure. The hook polls for half a minute without a context
// and logs every failed attempt: it gets a loopback client whose requests,
// once the server stops, wait out that half minute instead of failing, so
// that a server told to stop while it starts neither waits for it nor logs
// an error a second until it exits.
func runUntilStopped(ctx genericapiserver.PostStartHookContext, hook genericapiserver.PostStartHookFunc) error {
	quiet := ctx
	quiet.LoopbackClientConfig = rest.CopyConfig(ctx.LoopbackClientConfig)
	quiet.LoopbackClientConfig.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return waitWhenStopped{next: rt, stopped: ctx.Done()}
	})
	done := make(chan error, 1)
	go func() { done <- hook(quiet) }()
	select {
	case err := <-done:
		if ctx.Err() != nil {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// waitWhenStopped is a round tripper whose requests, once stopped is
// closed, wait bootstrapPolling and fail.
type waitWhenStopped struct {
	next    http.RoundTripper
	stopped <-chan struct{}
}

func (w waitWhenStopped) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-w.stopped:
		time.Sleep(bootstrapPolling)
		return nil, errors.New("the server stopped")
	default:
		return w.next.RoundTrip(req)
	}
}
