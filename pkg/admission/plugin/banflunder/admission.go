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

// Package banflunder is the BanFlunder admission plugin: a Flunder may not
// be created with a name that a Fischer lists in disallowedFlunders.
package banflunder

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/tools/cache"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/wardleinitializer"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// PluginName is the name to enable or disable the plugin by.
const PluginName = "BanFlunder"

// byDisallowedName indexes Fischers by the Flunder names they disallow, so
// a create looks up its name instead of scanning every Fischer.
const byDisallowedName = "disallowedFlunder"

// defaultReadyTimeout is how long a request waits for the Fischer informer
// to sync before it is refused.
const defaultReadyTimeout = 10 * time.Second

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// BanFlunder refuses to create a Flunder whose name a Fischer disallows. It
// is a validating plugin, so it runs after names are generated and checks
// the final name of a Flunder created with generateName too.
type BanFlunder struct {
	*admission.Handler
	fischers     cache.Indexer
	hasSynced    cache.InformerSynced
	readyTimeout time.Duration
}

var (
	_ admission.ValidationInterface                = &BanFlunder{}
	_ wardleinitializer.WantsWardleInformerFactory = &BanFlunder{}
)

// New returns the plugin; it needs the wardle informer factory before use.
func New() *BanFlunder {
	return &BanFlunder{Handler: admission.NewHandler(admission.Create), readyTimeout: defaultReadyTimeout}
}

// SetWardleInformerFactory requests the Fischer informer, with an index by
// disallowed name.
func (b *BanFlunder) SetWardleInformerFactory(factory informers.SharedInformerFactory) {
	informer := factory.Wardle().V1beta1().Fischers().Informer()
	if err := informer.AddIndexers(cache.Indexers{byDisallowedName: disallowedNames}); err != nil {
		// Only possible once the informer has started, which it has not.
		panic(fmt.Sprintf("BanFlunder: adding the Fischer index: %v", err))
	}
	b.fischers = informer.GetIndexer()
	b.hasSynced = informer.HasSynced
}

func disallowedNames(obj interface{}) ([]string, error) {
	fischer, ok := obj.(*v1beta1.Fischer)
	if !ok {
		return nil, fmt.Errorf("not a Fischer: %T", obj)
	}
	return fischer.DisallowedFlunders, nil
}

// ValidateInitialization fails if the plugin has no informer.
func (b *BanFlunder) ValidateInitialization() error {
	if b.fischers == nil {
		return fmt.Errorf("%s has no Fischer informer", PluginName)
	}
	return nil
}

// Validate refuses the creation of a Flunder whose name any Fischer
// disallows, with a 403 that names the Fischers. Until the Fischers have
// been read it refuses every Flunder create: it never lets one through
// unchecked.
func (b *BanFlunder) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != wardle.Resource("flunders") || a.GetSubresource() != "" {
		return nil
	}
	if !b.ready(ctx) {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready: it has not read the Fischers yet; retry in a moment", PluginName))
	}
	obj, err := meta.Accessor(a.GetObject())
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: %v", PluginName, err))
	}
	name := obj.GetName()
	banning, err := b.fischers.ByIndex(byDisallowedName, name)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if len(banning) == 0 {
		return nil
	}
	var fischers []string
	for _, f := range banning {
		fischers = append(fischers, f.(*v1beta1.Fischer).Name)
	}
	slices.Sort(fischers)
	return apierrors.NewForbidden(a.GetResource().GroupResource(), name,
		fmt.Errorf("the name %q is disallowed by Fischer %s", name, strings.Join(fischers, ", ")))
}

// ready waits a little for the Fischer informer to sync.
func (b *BanFlunder) ready(ctx context.Context) bool {
	if b.hasSynced() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, b.readyTimeout)
	defer cancel()
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		return b.hasSynced(), nil
	}) == nil
}
