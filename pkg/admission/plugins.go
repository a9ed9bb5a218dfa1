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

// Package admission registers wardle-apiserver's own admission plugins and
// places them in the chain.
package admission

import (
	"slices"

	"k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/banflunder"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/flundercreator"
)

// Register registers the wardle plugins with the admission options and
// turns them on by default: FlunderCreator right after the library's
// mutating plugins, so no webhook can change the annotation after it, and
// BanFlunder last. Every mutating plugin runs before every validating one.
// Call it before the options' flags are added, so --help lists them.
func Register(a *genericoptions.AdmissionOptions) {
	flundercreator.Register(a.Plugins)
	banflunder.Register(a.Plugins)

	order := a.RecommendedPluginOrder
	at := slices.Index(order, mutating.PluginName) + 1 // 0 when absent: first
	order = slices.Insert(order, at, flundercreator.PluginName)
	a.RecommendedPluginOrder = append(order, banflunder.PluginName)
}
