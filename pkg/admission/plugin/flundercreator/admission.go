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

// Package flundercreator is the FlunderCreator admission plugin: it records
// who created a Flunder in the annotation wardle.example.com/created-by, and
// keeps anyone from forging or changing it.
package flundercreator

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// PluginName is the name to enable or disable the plugin by.
const PluginName = "FlunderCreator"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// FlunderCreator stamps the creator of each Flunder. It is a mutating
// plugin: on create it sets the annotation to the authenticated user's
// name, overwriting whatever the client sent; on update it puts back the
// stored value (or removes one the client added), so the annotation never
// changes after creation.
type FlunderCreator struct {
	*admission.Handler
}

var _ admission.MutationInterface = &FlunderCreator{}

// New returns the plugin.
func New() *FlunderCreator {
	return &FlunderCreator{Handler: admission.NewHandler(admission.Create, admission.Update)}
}

// Admit sets or restores the creator annotation.
func (p *FlunderCreator) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != wardle.Resource("flunders") || a.GetSubresource() != "" {
		return nil
	}
	obj, err := meta.Accessor(a.GetObject())
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: %v", PluginName, err))
	}
	sent, sentOK := obj.GetAnnotations()[wardle.CreatedByAnnotation]
	var creator string
	var keep bool
	switch a.GetOperation() {
	case admission.Create:
		if a.GetUserInfo() == nil || a.GetUserInfo().GetName() == "" {
			return admission.NewForbidden(a, fmt.Errorf("%s: the request has no user to record as the creator", PluginName))
		}
		creator, keep = a.GetUserInfo().GetName(), true
	case admission.Update:
		old, err := meta.Accessor(a.GetOldObject())
		if err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("%s: %v", PluginName, err))
		}
		creator, keep = old.GetAnnotations()[wardle.CreatedByAnnotation]
	default:
		return nil
	}
	// Tell the client, rather than let it believe its change was stored.
	// A missing annotation is a removal only when a patch (merge, JSON,
	// strategic, apply: kubectl annotate, edit, apply) took it away from
	// the stored object. A PUT sends a whole object, and one without the
	// annotation is most often a manifest that never had it
	// ("kubectl replace -f flunder.yaml"): restore it without a word.
	switch {
	case sentOK && (!keep || sent != creator):
		warning.AddWarning(ctx, "", fmt.Sprintf("%s is set by the server and cannot be changed; the value %q was ignored", wardle.CreatedByAnnotation, sent))
	case !sentOK && keep && a.GetOperation() == admission.Update && isPatch(ctx):
		warning.AddWarning(ctx, "", fmt.Sprintf("%s is set by the server and cannot be changed; its removal was ignored and it stays %q", wardle.CreatedByAnnotation, creator))
	}
	setAnnotation(obj, creator, keep)
	return nil
}

// setAnnotation sets the creator annotation of obj, or removes it.
func setAnnotation(obj metav1.Object, creator string, keep bool) {
	annotations := obj.GetAnnotations()
	if !keep {
		delete(annotations, wardle.CreatedByAnnotation)
		obj.SetAnnotations(annotations)
		return
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[wardle.CreatedByAnnotation] = creator
	obj.SetAnnotations(annotations)
}

// isPatch tells whether the request being admitted is a PATCH.
func isPatch(ctx context.Context) bool {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	return ok && info.Verb == "patch"
}
