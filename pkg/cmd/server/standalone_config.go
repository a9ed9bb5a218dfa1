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

package server

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/client-go/dynamic"
	clientgoinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/controlplane"
)

// systemNamespaces exist from a standalone server's first start, as in a
// cluster.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// kubeInformerResync is how often the informers on the server's own
// Kubernetes APIs resync, as kube-apiserver's do.
const kubeInformerResync = 10 * time.Minute

// applyStandaloneTo makes c a standalone control plane: the storage of
// Kubernetes' own types next to wardle's, informers and clients on the
// loopback, the standalone authenticators (service-account tokens
// included) and authorizers (RBAC included), the admission chain, and the
// Kubernetes APIs to serve.
func (o *WardleServerOptions) applyStandaloneTo(c *genericapiserver.RecommendedConfig, extra *apiserver.ExtraConfig) error {
	ro := o.RecommendedOptions

	resources := controlplane.APIResourceConfig()
	storageConfig := ro.Etcd.StorageConfig
	storageConfig.StorageObjectCountTracker = c.StorageObjectCountTracker
	storage, err := controlplane.NewStorageFactory(ro.Etcd, storageConfig, c.EffectiveVersion, resources,
		map[string]serverstorage.StorageFactory{wardle.GroupName: &genericoptions.SimpleStorageFactory{StorageConfig: storageConfig}})
	if err != nil {
		return err
	}
	if err := ro.Etcd.ApplyWithStorageFactoryTo(storage, &c.Config); err != nil {
		return err
	}
	if err := o.applyEtcdHealthTo(c, extra); err != nil {
		return err
	}

	// The server's own Kubernetes APIs, through the loopback client, in
	// protobuf as kube-apiserver talks to itself.
	kubeConfig := rest.CopyConfig(c.LoopbackClientConfig)
	kubeConfig.ContentType = runtime.ContentTypeProtobuf
	kubeClient, err := kubernetes.NewForConfig(kubeConfig)
	if err != nil {
		return err
	}
	dynamicClient, err := dynamic.NewForConfig(c.LoopbackClientConfig)
	if err != nil {
		return err
	}
	kubeInformers := clientgoinformers.NewSharedInformerFactoryWithOptions(kubeClient, kubeInformerResync,
		clientgoinformers.WithTransform(dropManagedFields))
	c.ClientConfig, c.SharedInformerFactory = kubeConfig, kubeInformers

	tokenIssuer, err := o.ServiceAccounts.TokenGenerator()
	if err != nil {
		return err
	}
	serviceAccountTokens, err := o.ServiceAccounts.TokenAuthenticator(kubeClient, kubeInformers)
	if err != nil {
		return err
	}
	c.Authentication.APIAudiences = o.ServiceAccounts.Audiences()
	if err := o.StandaloneAuthentication.ApplyTo(&c.Authentication, c.SecureServing, c.OpenAPIConfig, ro.Authentication, serviceAccountTokens); err != nil {
		return err
	}
	c.RuleResolver, err = o.StandaloneAuthorization.ApplyTo(&c.Authorization, ro.Authorization, kubeInformers.Rbac().V1())
	if err != nil {
		return err
	}

	initializers, err := ro.ExtraAdmissionInitializers(c)
	if err != nil {
		return err
	}
	if err := ro.Admission.ApplyTo(&c.Config, kubeInformers, kubeClient, dynamicClient, ro.FeatureGate, c.EffectiveVersion, initializers...); err != nil {
		return fmt.Errorf("admission: %w", err)
	}

	extra.ControlPlane = &controlplane.Config{
		APIResourceConfig: resources,
		RESTOptionsGetter: c.RESTOptionsGetter,
		Informers:         kubeInformers,
		Authenticator:     c.Authentication.Authenticator,
		APIAudiences:      c.Authentication.APIAudiences,
		Authorizer:        c.Authorization.Authorizer,
		RuleResolver:      c.RuleResolver,
		ServiceAccounts: controlplane.ServiceAccountConfig{
			Issuer:        tokenIssuer,
			MaxExpiration: o.ServiceAccounts.MaxExpiration,
		},
		EventTTL:          o.EventTTL,
		SystemNamespaces:  systemNamespaces,
		ExtraClusterRoles: apiserver.ClusterRoles(),
	}
	return nil
}

// dropManagedFields keeps managed fields out of the informers' caches, as
// kube-apiserver does for its own: nothing in the server reads them.
func dropManagedFields(obj interface{}) (interface{}, error) {
	if accessor, err := meta.Accessor(obj); err == nil && accessor.GetManagedFields() != nil {
		accessor.SetManagedFields(nil)
	}
	return obj, nil
}
