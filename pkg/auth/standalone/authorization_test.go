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

package standalone

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

// rbacAuthorizer builds the standalone authorizer (privileged groups,
// always-allowed paths, RBAC) over Kubernetes' bootstrap policy plus a
// RoleBinding to the ServiceAccount apps/bot of the rules that make "edit"
// (here the static role the aggregation controller folds into it), as a
// server has it once someone has granted a controller its rights.
func rbacAuthorizer(t testing.TB) authorizer.Authorizer {
	t.Helper()
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	rbac := factory.Rbac().V1()
	add := func(store interface{ Add(any) error }, obj any) {
		if err := store.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	for i := range bootstrappolicy.ClusterRoles() {
		add(rbac.ClusterRoles().Informer().GetStore(), &bootstrappolicy.ClusterRoles()[i])
	}
	for i := range bootstrappolicy.ClusterRoleBindings() {
		add(rbac.ClusterRoleBindings().Informer().GetStore(), &bootstrappolicy.ClusterRoleBindings()[i])
	}
	add(rbac.RoleBindings().Informer().GetStore(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bot-edit", Namespace: "apps"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "apps", Name: "bot"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:aggregate-to-edit"},
	})
	var info genericapiserver.AuthorizationInfo
	if _, err := NewAuthorizationOptions().ApplyTo(&info, genericoptions.NewDelegatingAuthorizationOptions(), rbac); err != nil {
		t.Fatal(err)
	}
	return info.Authorizer
}

var botCreatesConfigMap = authorizer.AttributesRecord{
	User:            &user.DefaultInfo{Name: "system:serviceaccount:apps:bot", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"}},
	Verb:            "create",
	Namespace:       "apps",
	Resource:        "configmaps",
	ResourceRequest: true,
}

func TestRBACInTheUnion(t *testing.T) {
	a := rbacAuthorizer(t)
	decision, _, err := a.Authorize(context.Background(), botCreatesConfigMap)
	if err != nil || decision != authorizer.DecisionAllow {
		t.Errorf("a RoleBinding to the rules of edit: %v %v, want allowed", decision, err)
	}
	elsewhere := botCreatesConfigMap
	elsewhere.Namespace = "default"
	decision, reason, err := a.Authorize(context.Background(), elsewhere)
	if err != nil || decision == authorizer.DecisionAllow {
		t.Errorf("in another namespace: %v %q %v, want not allowed", decision, reason, err)
	}
}

// TestPolicyFileAuthorizesAndResolvesRules checks that the policy file is
// both an authorizer and a rule resolver of the union, and that a file the
// server cannot read stops it with an error naming the flag.
func TestPolicyFileAuthorizesAndResolvesRules(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.jsonl")
	policy := `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"cmreader","namespace":"*","resource":"configmaps","readonly":true}}` + "\n"
	if err := os.WriteFile(file, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewAuthorizationOptions()
	o.PolicyFile = file
	var info genericapiserver.AuthorizationInfo
	resolver, err := o.ApplyTo(&info, genericoptions.NewDelegatingAuthorizationOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmreader := &user.DefaultInfo{Name: "cmreader"}
	list := authorizer.AttributesRecord{User: cmreader, Verb: "list", Namespace: "team-a", Resource: "configmaps", ResourceRequest: true}
	if decision, reason, err := info.Authorizer.Authorize(context.Background(), list); decision != authorizer.DecisionAllow {
		t.Errorf("list configmaps: %v %q %v, want allowed", decision, reason, err)
	}
	create := list
	create.Verb = "create"
	if decision, _, _ := info.Authorizer.Authorize(context.Background(), create); decision == authorizer.DecisionAllow {
		t.Error("create configmaps under a readonly policy: allowed")
	}
	rules, _, _, err := resolver.RulesFor(context.Background(), cmreader, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rules, func(r authorizer.ResourceRuleInfo) bool {
		return slices.Equal(r.GetAPIGroups(), []string{""}) && slices.Equal(r.GetResources(), []string{"configmaps"}) &&
			slices.Equal(r.GetVerbs(), []string{"get", "list", "watch"})
	}) {
		t.Errorf("the rule resolver does not list the policy's grant: %+v", rules)
	}

	o.PolicyFile = filepath.Join(dir, "missing.jsonl")
	if _, err := o.ApplyTo(&info, genericoptions.NewDelegatingAuthorizationOptions(), nil); err == nil || !strings.HasPrefix(err.Error(), "--authorization-policy-file: ") {
		t.Errorf("a missing policy file: %v, want an error naming the flag", err)
	}
}

// BenchmarkRBACAuthorize is what RBAC adds to a request authorized by a
// RoleBinding (system:masters are allowed before RBAC is asked).
//
//	go test -run '^$' -bench RBACAuthorize ./pkg/auth/standalone/
func BenchmarkRBACAuthorize(b *testing.B) {
	a := rbacAuthorizer(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if decision, _, _ := a.Authorize(ctx, botCreatesConfigMap); decision != authorizer.DecisionAllow {
			b.Fatal("not allowed")
		}
	}
}
