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

package wardle

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ReferenceType names the kind of object a Flunder refers to.
type ReferenceType string

const (
	// FlunderReferenceType marks a reference to another Flunder in the same namespace.
	FlunderReferenceType ReferenceType = "Flunder"
	// FischerReferenceType marks a reference to a (cluster-scoped) Fischer.
	FischerReferenceType ReferenceType = "Fischer"
)

// CreatedByAnnotation holds the name of the user who created a Flunder. The
// FlunderCreator admission plugin sets it, and nobody can change it.
const CreatedByAnnotation = "wardle.example.com/created-by"

// ConditionReferenceResolved is the type of the Flunder condition that says
// whether the referenced object exists.
const ConditionReferenceResolved = "ReferenceResolved"

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Flunder is a namespaced object that may refer to another Flunder or to a Fischer.
type Flunder struct {
	metav1.TypeMeta
	metav1.ObjectMeta

	Spec   FlunderSpec
	Status FlunderStatus
}

// FlunderSpec is what the user wants of a Flunder.
type FlunderSpec struct {
	// FlunderReference names another Flunder in the same namespace.
	// Mutually exclusive with FischerReference.
	FlunderReference string
	// FischerReference names a Fischer. Mutually exclusive with FlunderReference.
	FischerReference string
	// ReferenceType says which of the two references is set; empty when none is.
	ReferenceType ReferenceType
}

// FlunderStatus is what a controller last observed of a Flunder.
type FlunderStatus struct {
	// Conditions are the latest observations of the Flunder's state, one per type.
	Conditions []metav1.Condition
	// ObservedGeneration is the metadata.generation the status was computed from.
	ObservedGeneration int64
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FlunderList is a list of Flunders.
type FlunderList struct {
	metav1.TypeMeta
	metav1.ListMeta

	Items []Flunder
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Fischer is a cluster-scoped object that lists Flunder names that are disallowed.
type Fischer struct {
	metav1.TypeMeta
	metav1.ObjectMeta

	// DisallowedFlunders holds the names no Flunder may be created with.
	DisallowedFlunders []string
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FischerList is a list of Fischers.
type FischerList struct {
	metav1.TypeMeta
	metav1.ListMeta

	Items []Fischer
}
