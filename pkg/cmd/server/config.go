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
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kubernetes/pkg/api/legacyscheme"

	"github.com/wardle-example/wardle-apiserver/pkg/admission/wardleinitializer"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
	"github.com/wardle-example/wardle-apiserver/pkg/controlplane"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
	wardleopenapi "github.com/wardle-example/wardle-apiserver/pkg/generated/openapi"
	wardleversion "github.com/wardle-example/wardle-apiserver/pkg/version"
)

// Config builds the server configuration from the completed options: it
// applies every option to a genericapiserver.RecommendedConfig and fills in
// ours. It starts no process of ours and writes no file; Prepare does that,
// in order, around it. Two things make it depend on Prepare:
//
//   - k8s.io/apiserver reads the serving certificate, the client CA and the
//     service-account key as it applies the options, so Prepare makes them
//     first (ensurePKI);
//   - SecureServingOptions.ApplyTo opens the secure listener unless one is
//     given: the library has no other way to apply --permit-port-sharing and
//     --permit-address-sharing, and --secure-port 0 is only resolved to a
//     port there. Prepare closes it if the server never runs; once it runs,
//     the generic server closes it when it stops. The etcd clients the
//     configuration holds (the storage's, the health tracker's) connect
//     lazily.
//
// The embedded etcd and the insecure listener are not in it: Prepare starts
// the one and opens the other, and sets them in ExtraConfig.
func (o *WardleServerOptions) Config() (*apiserver.Config, error) {
	config := &apiserver.Config{}
	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	serverConfig.BuildHandlerChainFunc = apiserver.BuildHandlerChain
	definitions, namer := wardleopenapi.GetOpenAPIDefinitions, openapi.NewDefinitionNamer(apiserver.Scheme)
	if o.standalone {
		definitions, namer = controlplane.OpenAPIDefinitions(definitions), openapi.NewDefinitionNamer(apiserver.Scheme, legacyscheme.Scheme)
	}
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(definitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "wardle-apiserver"
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(definitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "wardle-apiserver"
	if err := o.ServerRunOptions.ApplyTo(&serverConfig.Config); err != nil {
		return nil, err
	}
	serverConfig.EffectiveVersion = wardleversion.EffectiveVersion(serverConfig.EffectiveVersion)
	serverConfig.OpenAPIConfig.Info.Version = wardleversion.Wardle()
	serverConfig.OpenAPIV3Config.Info.Version = wardleversion.Wardle()

	config.GenericConfig = serverConfig

	// The wardle informers, for the admission plugins that read wardle
	// objects, list and watch through the loopback client, so they work in
	// both modes. The server starts them after it starts serving.
	o.RecommendedOptions.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		client, err := clientset.NewForConfig(c.LoopbackClientConfig)
		if err != nil {
			return nil, err
		}
		config.ExtraConfig.InformerFactory = informers.NewSharedInformerFactory(client, 0)
		return []admission.PluginInitializer{wardleinitializer.New(config.ExtraConfig.InformerFactory)}, nil
	}

	if err := o.applyEtcdDialerTo(serverConfig); err != nil {
		return nil, err
	}
	recommended := *o.RecommendedOptions
	if o.standalone {
		// The library's delegated authentication, authorization and
		// admission need a cluster, and its etcd options would store every
		// group with the wardle codec; applyStandaloneTo builds them from
		// the same options for a standalone control plane.
		recommended.Etcd, recommended.Authentication, recommended.Authorization, recommended.Admission = nil, nil, nil, nil
	}
	if err := recommended.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	if o.standalone {
		if err := o.applyStandaloneTo(serverConfig, &config.ExtraConfig); err != nil {
			return nil, err
		}
	} else if err := o.applyEtcdHealthTo(serverConfig, &config.ExtraConfig); err != nil {
		return nil, err
	}
	config.ExtraConfig.Controllers = &manager.Config{
		KubeInformers:  serverConfig.SharedInformerFactory,
		Enabled:        manager.Enabled(o.Controllers, o.standalone),
		LeaderElection: o.LeaderElection,
	}
	if !o.standalone {
		// The cluster's informers are not the server's own APIs.
		config.ExtraConfig.Controllers.KubeInformers = nil
		config.ExtraConfig.Controllers.LeaderElection.LeaderElect = false
	}

	if o.InsecureServing.Enabled() {
		serverConfig.Authentication.Authenticator = apiserver.WithInsecurePortAuthentication(serverConfig.Authentication.Authenticator)
	}
	return config, nil
}
