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
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
	"github.com/wardle-example/wardle-apiserver/pkg/controlplane"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/etcdhealth"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
	fischerstorage "github.com/wardle-example/wardle-apiserver/pkg/registry/wardle/fischer"
	flunderstorage "github.com/wardle-example/wardle-apiserver/pkg/registry/wardle/flunder"
)

// ExtraConfig holds the wardle-specific part of the server configuration.
type ExtraConfig struct {
	// EmbeddedEtcd is the etcd of this process, if any. Whoever runs the
	// server starts it before and closes it after (pkg/cmd/server's
	// PreparedServer); the server only stops, with etcd's error, if it fails.
	EmbeddedEtcd *embeddedetcd.Server
	// EtcdTracker watches etcd's availability; the server runs it while it
	// serves.
	EtcdTracker *etcdhealth.Tracker
	// InsecureServing, if set, serves the same API over plain HTTP on a
	// loopback port, as a privileged local user. Its listener belongs to
	// whoever opened it, who closes it.
	InsecureServing *genericapiserver.DeprecatedInsecureServingInfo
	// InformerFactory feeds the admission plugins that read wardle objects.
	// The server starts it once it serves, and is not ready until it has
	// synced.
	InformerFactory informers.SharedInformerFactory
	// ControlPlane, in standalone mode, serves Kubernetes' own APIs
	// (namespaces, events, RBAC...) beside wardle.example.com.
	ControlPlane *controlplane.Config
	// Controllers run in the server, on its loopback client, once it
	// serves; nil runs none.
	Controllers *manager.Config
}

// Config is the configuration of a wardle API server: the generic server's
// recommended configuration plus ours.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	ExtraConfig   *ExtraConfig
}

// CompletedConfig is a Config whose defaults are filled in. Only Complete
// makes one, so New never sees a half-filled configuration.
type CompletedConfig struct {
	*completedConfig
}

// WardleServer is a GenericAPIServer serving the wardle.example.com group.
type WardleServer struct {
	GenericAPIServer *genericapiserver.GenericAPIServer

	extra *ExtraConfig
}

// Complete fills in the fields the configuration leaves to defaults.
func (cfg *Config) Complete() CompletedConfig {
	return CompletedConfig{&completedConfig{
		GenericConfig: cfg.GenericConfig.Complete(),
		ExtraConfig:   &cfg.ExtraConfig,
	}}
}

// New builds the GenericAPIServer and installs the wardle group on it.
func (c CompletedConfig) New() (*WardleServer, error) {
	genericServer, err := c.GenericConfig.New("wardle-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s := &WardleServer{GenericAPIServer: genericServer, extra: c.ExtraConfig}

	apiGroupInfo, err := c.apiGroupInfo()
	if err != nil {
		return nil, err
	}
	if err := s.GenericAPIServer.InstallAPIGroup(apiGroupInfo); err != nil {
		return nil, err
	}
	if controlPlane := c.ExtraConfig.ControlPlane; controlPlane != nil {
		if err := controlPlane.InstallAPIs(s.GenericAPIServer); err != nil {
			return nil, err
		}
	}
	if controllers := c.ExtraConfig.Controllers; controllers != nil && controllers.Enabled.Len() > 0 {
		if err := s.addControllers(*controllers); err != nil {
			return nil, err
		}
	}
	if factory := c.ExtraConfig.InformerFactory; factory != nil {
		// A post-start hook is part of /readyz until it returns, so the
		// server is ready only once the admission plugins can see every
		// wardle object they need.
		s.GenericAPIServer.AddPostStartHookOrDie("start-wardle-informers", func(ctx genericapiserver.PostStartHookContext) error {
			factory.Start(ctx.Done())
			for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
				if !synced && ctx.Err() == nil {
					return fmt.Errorf("the %v informer did not sync", informer)
				}
			}
			return nil
		})
	}
	return s, nil
}

// apiGroupInfo builds the storage of every resource and serves it in both
// versions. Both versions share one store per resource, so an object
// written in one version is read back in the other; v1beta1 is preferred
// and is the storage version.
func (c CompletedConfig) apiGroupInfo() (*genericapiserver.APIGroupInfo, error) {
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(wardle.GroupName, Scheme, metav1.ParameterCodec, Codecs)

	flunders, flunderStatus, err := flunderstorage.NewREST(Scheme, c.GenericConfig.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	fischers, err := fischerstorage.NewREST(Scheme, c.GenericConfig.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	resources := map[string]rest.Storage{
		"flunders":        flunders,
		"flunders/status": flunderStatus,
		"fischers":        fischers,
	}
	apiGroupInfo.VersionedResourcesStorageMap[v1beta1.SchemeGroupVersion.Version] = resources
	apiGroupInfo.VersionedResourcesStorageMap[v1alpha1.SchemeGroupVersion.Version] = resources
	return &apiGroupInfo, nil
}
