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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/kubernetes/pkg/kubeapiserver"
)

// NewStorageFactory returns the storage factory of a standalone server.
// Kubernetes types are stored exactly as kube-apiserver stores them
// (kubeapiserver's storage factory: its storage versions and encodings,
// --storage-media-type, keys named after the resource), under the same
// --etcd-prefix as the server's own groups. The groups in own keep their
// factory, so their objects stay where they have always been.
func NewStorageFactory(etcd *genericoptions.EtcdOptions, storageConfig storagebackend.Config, effectiveVersion basecompatibility.EffectiveVersion,
	resources *serverstorage.ResourceConfig, own map[string]serverstorage.StorageFactory) (serverstorage.StorageFactory, error) {
	kubeEtcd := *etcd
	kubeEtcd.StorageConfig = storageConfig
	config := kubeapiserver.NewStorageFactoryConfigEffectiveVersion(effectiveVersion)
	config.APIResourceConfig = resources
	kube, err := config.Complete(&kubeEtcd).New()
	if err != nil {
		return nil, err
	}
	return &storageFactory{kube: kube, own: own}, nil
}

// storageFactory sends each group to its factory.
type storageFactory struct {
	kube serverstorage.StorageFactory
	own  map[string]serverstorage.StorageFactory
}

func (f *storageFactory) factoryFor(groupResource schema.GroupResource) serverstorage.StorageFactory {
	if own, ok := f.own[groupResource.Group]; ok {
		return own
	}
	return f.kube
}

// NewConfig returns the storage configuration of one resource.
func (f *storageFactory) NewConfig(groupResource schema.GroupResource, example runtime.Object) (*storagebackend.ConfigForResource, error) {
	return f.factoryFor(groupResource).NewConfig(groupResource, example)
}

// ResourcePrefix returns where a resource's keys start, below --etcd-prefix.
func (f *storageFactory) ResourcePrefix(groupResource schema.GroupResource) string {
	return f.factoryFor(groupResource).ResourcePrefix(groupResource)
}

// Configs returns the etcd connections; every group uses the same etcd.
func (f *storageFactory) Configs() []storagebackend.Config { return f.kube.Configs() }

// Backends returns the etcd servers; every group uses the same etcd.
func (f *storageFactory) Backends() []serverstorage.Backend { return f.kube.Backends() }
