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

// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/wardle-example/wardle-apiserver/apis/wardle
// +k8s:defaulter-gen=TypeMeta
// +groupName=wardle.example.com
// +k8s:openapi-model-package=com.github.wardle-example.wardle-apiserver.apis.wardle.v1beta1

// Package v1beta1 is the v1beta1 version of the wardle.example.com API.
package v1beta1
