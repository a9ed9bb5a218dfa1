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
	"context"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	configmapstore "k8s.io/kubernetes/pkg/registry/core/configmap/storage"
	eventstore "k8s.io/kubernetes/pkg/registry/core/event/storage"
	namespacestore "k8s.io/kubernetes/pkg/registry/core/namespace/storage"
	secretstore "k8s.io/kubernetes/pkg/registry/core/secret/storage"
	serviceaccountstore "k8s.io/kubernetes/pkg/registry/core/serviceaccount/storage"
	"k8s.io/kubernetes/pkg/serviceaccount"
)

// coreProvider serves the part of the core group (/api/v1) a standalone
// server needs, with Kubernetes' own stores: namespaces (with status and
// finalize), events, configmaps, secrets and serviceaccounts (with token).
//
// It does what the generic control plane's provider
// (k8s.io/kubernetes/pkg/registry/core/rest.GenericConfig) does, with one
// difference that matters: that provider always builds the resourcequotas
// store, served or not, and a store that is built but never installed is
// never destroyed, so its etcd watch outlives the server and holds the
// embedded etcd's shutdown for its full timeout. Resource quotas need the
// quota controllers, which a standalone server does not run, so their
// store is not built at all here.
type coreProvider struct {
	eventTTL             time.Duration
	serviceAccountIssuer serviceaccount.TokenGenerator
	serviceAccountMaxTTL time.Duration
	serviceAccountAuds   authenticator.Audiences
}

// GroupName is the core group's: "".
func (coreProvider) GroupName() string { return corev1.GroupName }

// NewRESTStorage builds the stores of the enabled core resources.
func (p coreProvider) NewRESTStorage(resources serverstorage.APIResourceConfigSource, options generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, error) {
	info := genericapiserver.APIGroupInfo{
		PrioritizedVersions:          legacyscheme.Scheme.PrioritizedVersionsForGroup(corev1.GroupName),
		VersionedResourcesStorageMap: map[string]map[string]rest.Storage{},
		Scheme:                       legacyscheme.Scheme,
		ParameterCodec:               legacyscheme.ParameterCodec,
		// Lists are encoded as they stream, as kube-apiserver encodes them.
		NegotiatedSerializer: serializer.NewCodecFactory(legacyscheme.Scheme,
			serializer.WithStreamingCollectionEncodingToJSON(), serializer.WithStreamingCollectionEncodingToProtobuf()),
	}
	enabled := func(resource string) bool {
		return resources.ResourceEnabled(corev1.SchemeGroupVersion.WithResource(resource))
	}
	storage := map[string]rest.Storage{}

	if enabled("events") {
		events, err := eventstore.NewREST(options, uint64(p.eventTTL.Seconds()))
		if err != nil {
			return info, err
		}
		storage["events"] = events
	}
	if enabled("namespaces") {
		namespaces, status, finalize, err := namespacestore.NewREST(options)
		if err != nil {
			return info, err
		}
		storage["namespaces"], storage["namespaces/status"], storage["namespaces/finalize"] = namespaces, status, finalize
	}
	if enabled("configmaps") {
		configMaps, err := configmapstore.NewREST(options)
		if err != nil {
			return info, err
		}
		storage["configmaps"] = configMaps
	}
	// A service-account token may be bound to a Secret; it can only be
	// bound to what this server serves, so pods, nodes and webhook
	// configurations are never found.
	var secretGetter rest.Getter = notFound(corev1.Resource("secrets"))
	if enabled("secrets") {
		secrets, err := secretstore.NewREST(options)
		if err != nil {
			return info, err
		}
		storage["secrets"], secretGetter = secrets, secrets.Store
	}
	if enabled("serviceaccounts") {
		serviceAccounts, err := serviceaccountstore.NewREST(options, p.serviceAccountIssuer, p.serviceAccountAuds,
			authorizerfactory.NewAlwaysDenyAuthorizer(), p.serviceAccountMaxTTL,
			notFound(corev1.Resource("pods")), secretGetter, notFound(corev1.Resource("nodes")),
			notFoundWebhooks[*admissionregistrationv1.ValidatingWebhookConfiguration]{admissionregistrationv1.Resource("validatingwebhookconfigurations")},
			notFoundWebhooks[*admissionregistrationv1.MutatingWebhookConfiguration]{admissionregistrationv1.Resource("mutatingwebhookconfigurations")},
			false, 0)
		if err != nil {
			return info, err
		}
		storage["serviceaccounts"] = serviceAccounts
		// Without an issuer there is no token subresource.
		if serviceAccounts.Token != nil {
			storage["serviceaccounts/token"] = serviceAccounts.Token
		}
	}
	if len(storage) > 0 {
		info.VersionedResourcesStorageMap[corev1.SchemeGroupVersion.Version] = storage
	}
	return info, nil
}

// notFound is a getter of a resource this server does not serve.
type notFound schema.GroupResource

func (r notFound) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource(r), name)
}

// notFoundWebhooks is a getter of webhook configurations, which this
// server does not serve.
type notFoundWebhooks[T any] struct{ resource schema.GroupResource }

func (w notFoundWebhooks[T]) Get(_ context.Context, name string, _ metav1.GetOptions) (T, error) {
	var none T
	return none, apierrors.NewNotFound(w.resource, name)
}
