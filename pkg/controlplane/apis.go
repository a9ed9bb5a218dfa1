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
	"fmt"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/client-go/informers"
	authenticationrest "k8s.io/kubernetes/pkg/registry/authentication/rest"
	authorizationrest "k8s.io/kubernetes/pkg/registry/authorization/rest"
	coordinationrest "k8s.io/kubernetes/pkg/registry/coordination/rest"
	eventsrest "k8s.io/kubernetes/pkg/registry/events/rest"
	rbacrest "k8s.io/kubernetes/pkg/registry/rbac/rest"
	"k8s.io/kubernetes/pkg/serviceaccount"

	// The API groups served, installed into legacyscheme for their
	// storage and conversions.
	_ "k8s.io/kubernetes/pkg/apis/authentication/install"
	_ "k8s.io/kubernetes/pkg/apis/authorization/install"
	_ "k8s.io/kubernetes/pkg/apis/coordination/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/events/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
)

// Config is what the Kubernetes APIs of a standalone server are built from.
type Config struct {
	// APIResourceConfig says which resources are served (APIResourceConfig()).
	APIResourceConfig serverstorage.APIResourceConfigSource
	// RESTOptionsGetter gives each resource its etcd storage, normally from
	// NewStorageFactory.
	RESTOptionsGetter generic.RESTOptionsGetter
	// Informers are the server's informers on its own Kubernetes APIs.
	Informers informers.SharedInformerFactory

	// Authenticator and APIAudiences answer TokenReviews and SelfSubjectReviews.
	Authenticator authenticator.Request
	APIAudiences  authenticator.Audiences
	// Authorizer and RuleResolver answer the authorization reviews, and
	// check RBAC escalation.
	Authorizer   authorizer.Authorizer
	RuleResolver authorizer.RuleResolver

	// ServiceAccounts issues tokens for serviceaccounts/token.
	ServiceAccounts ServiceAccountConfig
	// EventTTL is how long events are kept.
	EventTTL time.Duration
	// SystemNamespaces exist from the first start and cannot be deleted.
	SystemNamespaces []string
	// ExtraClusterRoles are ClusterRoles of the server's own groups,
	// reconciled at every start together with Kubernetes' bootstrap policy.
	ExtraClusterRoles RBACPolicy
}

// ServiceAccountConfig is how service-account tokens are issued.
type ServiceAccountConfig struct {
	// Issuer signs tokens; nil serves serviceaccounts without /token.
	Issuer serviceaccount.TokenGenerator
	// MaxExpiration caps the lifetime of a requested token; 0 is no cap.
	MaxExpiration time.Duration
}

// providers are the generic control plane's REST storage providers for
// the served groups, in discovery order (as kube-apiserver orders them);
// the core group's is coreProvider (see there why).
func (c *Config) providers() []restStorageProvider {
	return []restStorageProvider{
		coreProvider{
			eventTTL:             c.EventTTL,
			serviceAccountIssuer: c.ServiceAccounts.Issuer,
			serviceAccountMaxTTL: c.ServiceAccounts.MaxExpiration,
			serviceAccountAuds:   c.APIAudiences,
		},
		authenticationrest.RESTStorageProvider{Authenticator: c.Authenticator, APIAudiences: c.APIAudiences},
		authorizationrest.RESTStorageProvider{Authorizer: c.Authorizer, RuleResolver: c.RuleResolver},
		coordinationrest.RESTStorageProvider{},
		rbacrest.RESTStorageProvider{Authorizer: c.Authorizer},
		eventsrest.RESTStorageProvider{TTL: c.EventTTL},
	}
}

// bootstrappedClusterRole is a ClusterRole of Kubernetes' bootstrap policy:
// when it exists, an earlier start has reconciled the policy.
const bootstrappedClusterRole = "cluster-admin"

// restStorageProvider is what each of Kubernetes' REST storage providers is.
type restStorageProvider interface {
	GroupName() string
	NewRESTStorage(serverstorage.APIResourceConfigSource, generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, error)
}

// InstallAPIs serves the Kubernetes APIs on s: the core group under /api,
// the others under /apis, beside what s already serves. It also adds the
// post-start hooks that make the control plane usable: the RBAC bootstrap
// policy and the system namespaces.
func (c *Config) InstallAPIs(s *genericapiserver.GenericAPIServer) error {
	var groups []*genericapiserver.APIGroupInfo
	for _, provider := range c.providers() {
		info, err := provider.NewRESTStorage(c.APIResourceConfig, c.RESTOptionsGetter)
		if err != nil {
			return fmt.Errorf("building the storage of API group %q: %w", provider.GroupName(), err)
		}
		if len(info.VersionedResourcesStorageMap) == 0 {
			continue
		}
		// RBAC's provider brings the post-start hook that reconciles
		// Kubernetes' bootstrap policy.
		if hooks, ok := provider.(genericapiserver.PostStartHookProvider); ok {
			name, hook, err := hooks.PostStartHook()
			if err != nil {
				return err
			}
			if name == rbacrest.PostStartHookName {
				hook = reconcileInBackgroundOnceCreated(hook, bootstrappedClusterRole)
			}
			if err := s.AddPostStartHook(name, hook); err != nil {
				return err
			}
		}
		if provider.GroupName() == "" {
			if err := s.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &info); err != nil {
				return fmt.Errorf("installing the core API group: %w", err)
			}
			continue
		}
		groups = append(groups, &info)
	}
	if err := s.InstallAPIGroups(groups...); err != nil {
		return fmt.Errorf("installing the Kubernetes API groups: %w", err)
	}

	if policy := c.ExtraClusterRoles; len(policy.ClusterRoles) > 0 {
		if err := s.AddPostStartHook(policy.Name, policy.ensureHook()); err != nil {
			return err
		}
	}
	return addSystemNamespacesHooks(s, c.SystemNamespaces, c.Informers)
}
