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

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Flunder is a namespaced object that may refer to another Flunder in its
// namespace or to a Fischer. Its status is served as the subresource
// flunders/status.
type Flunder struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// Spec says which object the Flunder refers to.
	// +optional
	Spec FlunderSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is written by controllers through the status subresource.
	// +optional
	Status FlunderStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FlunderList is a list of Flunders.
type FlunderList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// Items are the Flunders in the list.
	Items []Flunder `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ReferenceType names the kind of object a Flunder refers to.
type ReferenceType string

const (
	// FlunderReferenceType marks a reference to another Flunder in the same namespace.
	FlunderReferenceType = ReferenceType("Flunder")
	// FischerReferenceType marks a reference to a Fischer.
	FischerReferenceType = ReferenceType("Fischer")
)

// FlunderStatus is what a controller last observed of a Flunder. It is
// written only through the flunders/status subresource.
type FlunderStatus struct {
	// Conditions are the latest observations of the Flunder's state, at most
	// one per type. The wardle controller maintains "ReferenceResolved".
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,1,rep,name=conditions"`

	// ObservedGeneration is the metadata.generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,2,opt,name=observedGeneration"`
}

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Fischer is a cluster-scoped object listing names that no Flunder may have.
type Fischer struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// DisallowedFlunders holds the names no Flunder may be created with.
	// +optional
	// +listType=atomic
	DisallowedFlunders []string `json:"disallowedFlunders,omitempty" protobuf:"bytes,2,rep,name=disallowedFlunders"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FischerList is a list of Fischers.
type FischerList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// Items are the Fischers in the list.
	Items []Fischer `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// FlunderSpec is what the user wants of a Flunder. It is wire-compatible with
// the upstream sample-apiserver's v1alpha1 FlunderSpec.
type FlunderSpec struct {
	// Reference is the name of another Flunder or of a Fischer, depending on
	// referenceType.
	// +optional
	Reference string `json:"reference,omitempty" protobuf:"bytes,1,opt,name=reference"`
	// ReferenceType is "Flunder" or "Fischer". It defaults to "Flunder" when
	// reference is set.
	// +optional
	ReferenceType *ReferenceType `json:"referenceType,omitempty" protobuf:"bytes,2,opt,name=referenceType"`
}
