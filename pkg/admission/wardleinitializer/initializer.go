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

// Package wardleinitializer gives admission plugins the wardle shared
// informer factory, the way k8s.io/apiserver's initializer gives them the
// core API's.
package wardleinitializer

import (
	"k8s.io/apiserver/pkg/admission"

	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// WantsWardleInformerFactory is implemented by plugins that read wardle
// objects through informers. They must request their informers in
// SetWardleInformerFactory, before the factory starts.
type WantsWardleInformerFactory interface {
	SetWardleInformerFactory(informers.SharedInformerFactory)
	admission.InitializationValidator
}

// initializer hands the factory to the plugins that want it.
type initializer struct {
	informers informers.SharedInformerFactory
}

var _ admission.PluginInitializer = initializer{}

// New returns an initializer that hands factory to every plugin that wants it.
func New(factory informers.SharedInformerFactory) admission.PluginInitializer {
	return initializer{informers: factory}
}

// Initialize gives plugin the factory if it wants it.
func (i initializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsWardleInformerFactory); ok {
		wants.SetWardleInformerFactory(i.informers)
	}
}
