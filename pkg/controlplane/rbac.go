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
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
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
				return hook(ctx)
			}
		}
		go func() {
			if err := hook(ctx); err != nil && ctx.Err() == nil {
				klog.ErrorS(err, "Reconciling the bootstrap RBAC policy failed")
			}
		}()
		return nil
	}
}
