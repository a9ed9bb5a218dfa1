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
	"k8s.io/apimachinery/pkg/runtime"
)

// jsonAndYAMLOnly serves the wardle group in the media types its types can
// be encoded in. The codec factory also offers protobuf, which the wardle
// types do not implement yet: a client that prefers protobuf but accepts
// JSON ("application/vnd.kubernetes.protobuf, application/json", as
// client-go's metadata and dynamic clients and a cluster's garbage collector
// send) would otherwise get a 406, or an empty watch, instead of JSON.
type jsonAndYAMLOnly struct {
	runtime.NegotiatedSerializer
}

// SupportedMediaTypes drops protobuf from what the codecs support.
func (s jsonAndYAMLOnly) SupportedMediaTypes() []runtime.SerializerInfo {
	var infos []runtime.SerializerInfo
	for _, info := range s.NegotiatedSerializer.SupportedMediaTypes() {
		if info.MediaType != runtime.ContentTypeProtobuf {
			infos = append(infos, info)
		}
	}
	return infos
}
