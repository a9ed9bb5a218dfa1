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

package apiserver

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/controlplane"
)

// ClusterRoles extend Kubernetes' user-facing roles to the wardle group, as
// a CRD's author ships them: the clusterrole-aggregation controller folds
// each into the role its label names. view reads flunders (and their
// status) and fischers; edit and admin also write flunders. Fischers say
// which Flunder names are banned, a cluster-wide policy like a quota, so
// only cluster-admin (or a grant of its own) writes them.
func ClusterRoles() controlplane.RBACPolicy {
	read := []string{"get", "list", "watch"}
	write := []string{"create", "update", "patch", "delete", "deletecollection"}
	// What view (and so edit and admin) may read: every resource and
	// subresource of the group. A new kind adds its line.
	viewable := []string{
		"flunders", "flunders/status",
		"fischers",
	}
	// What edit and admin may also write. A new kind adds its line unless,
	// like Fischers, it is cluster-wide policy.
	editable := []string{
		"flunders",
	}
	role := func(name, aggregateTo string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
		return rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					"rbac.authorization.k8s.io/aggregate-to-" + aggregateTo: "true",
					// Reconciled at every start, as the bootstrap roles are.
					"kubernetes.io/bootstrapping": "rbac-defaults",
				},
				Annotations: map[string]string{"rbac.authorization.kubernetes.io/autoupdate": "true"},
			},
			Rules: rules,
		}
	}
	return controlplane.RBACPolicy{
		Name: "wardle/bootstrap-roles",
		ClusterRoles: []rbacv1.ClusterRole{
			role("system:aggregate-to-view:"+wardle.GroupName, "view", rbacv1.PolicyRule{
				APIGroups: []string{wardle.GroupName},
				Resources: viewable,
				Verbs:     read,
			}),
			role("system:aggregate-to-edit:"+wardle.GroupName, "edit", rbacv1.PolicyRule{
				APIGroups: []string{wardle.GroupName},
				Resources: editable,
				Verbs:     write,
			}),
		},
	}
}
