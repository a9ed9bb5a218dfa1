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
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	"k8s.io/apiserver/pkg/authorization/path"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	webhookauthorizer "k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	webhookmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/kubernetes/pkg/auth/authorizer/abac"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"
)

// AuthorizationOptions are the standalone authorizers on top of the
// privileged groups (system:masters) and always-allowed health paths of the
// library's options.
type AuthorizationOptions struct {
	// PolicyFile is an ABAC policy file, one JSON policy per line.
	PolicyFile string
	// WebhookConfigFile is a kubeconfig for a SubjectAccessReview webhook.
	WebhookConfigFile string
	// WebhookVersion is the SubjectAccessReview version the webhook speaks.
	WebhookVersion string
}

// NewAuthorizationOptions returns the defaults: no policy file, no webhook.
func NewAuthorizationOptions() *AuthorizationOptions {
	return &AuthorizationOptions{WebhookVersion: "v1"}
}

// AddFlags adds the standalone authorization flags.
func (o *AuthorizationOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.PolicyFile, "authorization-policy-file", o.PolicyFile, ""+
		"Standalone mode: a policy file in kube-apiserver's ABAC format, one JSON object per line: "+
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"alice","namespace":"*","apiGroup":"*","resource":"*","readonly":true}}.`)
	fs.StringVar(&o.WebhookConfigFile, "authorization-webhook-config-file", o.WebhookConfigFile, ""+
		"Standalone mode: a kubeconfig for a webhook that authorizes requests with SubjectAccessReview. "+
		"Answers are cached for --authorization-webhook-cache-authorized-ttl and --authorization-webhook-cache-unauthorized-ttl.")
	fs.StringVar(&o.WebhookVersion, "authorization-webhook-version", o.WebhookVersion, ""+
		"Standalone mode: the authorization.k8s.io SubjectAccessReview version the --authorization-webhook-config-file webhook speaks: v1 or v1beta1.")
}

// Validate checks the webhook version.
func (o *AuthorizationOptions) Validate() []error {
	if o.WebhookVersion != "v1" && o.WebhookVersion != "v1beta1" {
		return []error{fmt.Errorf("--authorization-webhook-version must be v1 or v1beta1, not %q", o.WebhookVersion)}
	}
	return nil
}

// ApplyTo builds the authorizer of a standalone server into info, and
// returns the rule resolver behind SelfSubjectRulesReview. A request is
// allowed when the user is in a privileged group
// (--authorization-always-allow-groups, system:masters by default), the path
// is always allowed (the health checks, and /version), RBAC allows it (when
// rbacInformers are given: Kubernetes' RBAC authorizer on the server's own
// Roles and bindings), the policy file allows it, or the webhook does.
// Anything else is denied, and the 403 says who was denied what.
func (o *AuthorizationOptions) ApplyTo(info *genericapiserver.AuthorizationInfo, delegated *genericoptions.DelegatingAuthorizationOptions, rbacInformers rbacinformers.Interface) (authorizer.RuleResolver, error) {
	var authorizers []union.NamedAuthorizer
	var ruleResolvers []authorizer.RuleResolver
	if len(delegated.AlwaysAllowGroups) > 0 {
		authorizers = append(authorizers, union.NamedAuthorizer{
			AuthorizerName: "privileged-groups",
			Authorizer:     authorizerfactory.NewPrivilegedGroups(delegated.AlwaysAllowGroups...),
		})
	}
	paths, err := path.NewAuthorizer(append(append([]string{}, delegated.AlwaysAllowPaths...), "/version"))
	if err != nil {
		return nil, err
	}
	authorizers = append(authorizers, union.NamedAuthorizer{AuthorizerName: "always-allow-paths", Authorizer: paths})

	if rbacInformers != nil {
		rbacAuthorizer := rbac.New(
			&rbac.RoleGetter{Lister: rbacInformers.Roles().Lister()},
			&rbac.RoleBindingLister{Lister: rbacInformers.RoleBindings().Lister()},
			&rbac.ClusterRoleGetter{Lister: rbacInformers.ClusterRoles().Lister()},
			&rbac.ClusterRoleBindingLister{Lister: rbacInformers.ClusterRoleBindings().Lister()},
		)
		authorizers = append(authorizers, union.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: rbacAuthorizer})
		ruleResolvers = append(ruleResolvers, rbacAuthorizer)
	}

	if o.PolicyFile != "" {
		policy, err := abac.NewFromFile(o.PolicyFile)
		if err != nil {
			return nil, fmt.Errorf("--authorization-policy-file: %w", err)
		}
		// kube-apiserver's own ABAC authorizer, so that a policy file
		// means here what it means there; it also lists a user's grants,
		// for SelfSubjectRulesReview and kubectl auth can-i --list.
		authorizers = append(authorizers, union.NamedAuthorizer{AuthorizerName: "policy-file", Authorizer: policy})
		ruleResolvers = append(ruleResolvers, policy)
	}

	if o.WebhookConfigFile != "" {
		config, err := webhookutil.LoadKubeconfig(o.WebhookConfigFile, nil)
		if err != nil {
			return nil, fmt.Errorf("--authorization-webhook-config-file: %w", err)
		}
		hook, err := webhookauthorizer.New(config, o.WebhookVersion, delegated.AllowCacheTTL, delegated.DenyCacheTTL,
			*delegated.WebhookRetryBackoff, authorizer.DecisionNoOpinion, nil, "webhook",
			webhookmetrics.NoopAuthorizerMetrics{}, authorizationcel.NewDefaultCompiler())
		if err != nil {
			return nil, fmt.Errorf("--authorization-webhook-config-file: %w", err)
		}
		authorizers = append(authorizers, union.NamedAuthorizer{AuthorizerName: "webhook", Authorizer: hook})
		ruleResolvers = append(ruleResolvers, hook)
	}

	info.Authorizer, err = union.New(authorizers...)
	if err != nil {
		return nil, err
	}
	return union.NewRuleResolvers(ruleResolvers...), nil
}
