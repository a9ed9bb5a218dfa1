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

package flunder

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	listers "github.com/wardle-example/wardle-apiserver/pkg/generated/listers/wardle/v1beta1"
)

// Reasons of the ReferenceResolved condition.
const (
	// ReasonFound: the referenced Flunder or Fischer exists.
	ReasonFound = "Found"
	// ReasonNotFound: the referenced object does not exist.
	ReasonNotFound = "NotFound"
	// ReasonNoReference: the Flunder refers to nothing.
	ReasonNoReference = "NoReference"
)

// DesiredStatus returns the status f should have, given what the listers
// see: the observed generation, and the ReferenceResolved condition. The
// other conditions, and the transition time of an unchanged condition, are
// kept. An error means the listers failed, not that the reference is missing.
func DesiredStatus(f *v1beta1.Flunder, flunders listers.FlunderLister, fischers listers.FischerLister) (v1beta1.FlunderStatus, error) {
	condition := metav1.Condition{Type: wardle.ConditionReferenceResolved, ObservedGeneration: f.Generation}
	var err error
	switch f.Spec.ReferenceType {
	case v1beta1.FlunderReferenceType:
		_, err = flunders.Flunders(f.Namespace).Get(f.Spec.FlunderReference)
		condition.Message = fmt.Sprintf("Flunder %q in namespace %q", f.Spec.FlunderReference, f.Namespace)
	case v1beta1.FischerReferenceType:
		_, err = fischers.Get(f.Spec.FischerReference)
		condition.Message = fmt.Sprintf("Fischer %q", f.Spec.FischerReference)
	default:
		condition.Status, condition.Reason, condition.Message = metav1.ConditionTrue, ReasonNoReference, "the Flunder refers to nothing"
	}
	switch {
	case condition.Reason != "":
	case err == nil:
		condition.Status, condition.Reason = metav1.ConditionTrue, ReasonFound
		condition.Message += " exists"
	case apierrors.IsNotFound(err):
		condition.Status, condition.Reason = metav1.ConditionFalse, ReasonNotFound
		condition.Message += " does not exist"
	default:
		return v1beta1.FlunderStatus{}, err
	}

	status := *f.Status.DeepCopy()
	status.ObservedGeneration = f.Generation
	meta.SetStatusCondition(&status.Conditions, condition)
	return status, nil
}

// referenceKey is the index key of what f refers to, or "" if nothing.
func referenceKey(f *v1beta1.Flunder) string {
	switch f.Spec.ReferenceType {
	case v1beta1.FlunderReferenceType:
		return flunderKey(f.Namespace, f.Spec.FlunderReference)
	case v1beta1.FischerReferenceType:
		return fischerKey(f.Spec.FischerReference)
	default:
		return ""
	}
}

func flunderKey(namespace, name string) string { return "Flunder/" + namespace + "/" + name }

func fischerKey(name string) string { return "Fischer/" + name }
