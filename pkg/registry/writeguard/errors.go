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

package writeguard

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/operation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
)

const (
	// MaxErrors is the most validation errors one answer lists; the rest
	// are counted in one more.
	MaxErrors = 100
	// MaxValueBytes is the longest value an error quotes.
	MaxValueBytes = 256
)

// FinalErrors, embedded in a strategy, makes it a
// rest.DeclarativeValidationStrategy. Wardle has no declarative validation;
// what it wants is the hook: rest.BeforeCreate and rest.BeforeUpdate hand
// ValidateDeclaratively every validation error of the write, the library's
// own checks of metadata included, last, before they log duplicates and
// build the 422. There, Finalize makes each error appear once, no more than
// MaxErrors of them, and no value longer than MaxValueBytes in them.
type FinalErrors struct{}

var _ rest.DeclarativeValidationStrategy = FinalErrors{}

// ValidateDeclaratively returns Finalize(errs).
func (FinalErrors) ValidateDeclaratively(ctx context.Context, obj, oldObj runtime.Object, errs field.ErrorList, opType operation.Type, config rest.DeclarativeValidationConfig) field.ErrorList {
	return Finalize(errs)
}

// DeclarativeValidationConfig returns the default configuration, unused.
func (FinalErrors) DeclarativeValidationConfig(ctx context.Context, obj, oldObj runtime.Object) rest.DeclarativeValidationConfig {
	return rest.DeclarativeValidationConfig{}
}

// Finalize drops repeated errors (the library checks the labels,
// annotations, owner references and managed fields of an update twice
// itself), keeps the first MaxErrors, and shortens the values they quote:
// an answer, or a log line about it, never carries a client's whole value.
func Finalize(errs field.ErrorList) field.ErrorList {
	if len(errs) == 0 {
		return errs
	}
	seen := make(map[string]bool, len(errs))
	out := make(field.ErrorList, 0, min(len(errs), MaxErrors+1))
	dropped := 0
	for _, err := range errs {
		key := err.Error()
		if seen[key] {
			continue
		}
		seen[key] = true
		if len(out) == MaxErrors {
			dropped++
			continue
		}
		e := *err
		e.BadValue = shortValue(e.BadValue)
		out = append(out, &e)
	}
	if dropped > 0 {
		out = append(out, &field.Error{
			Type:     field.ErrorTypeTooMany,
			BadValue: MaxErrors + dropped,
			Detail:   fmt.Sprintf("errors in all; the first %d are listed", MaxErrors),
		})
	}
	return out
}

// shortValue returns v, or a shortened rendering of it if it is long.
func shortValue(v any) any {
	switch t := v.(type) {
	case nil, bool, int, int32, int64, uint, uint32, uint64, float32, float64:
		return v
	case string:
		return shorten(t, MaxValueBytes)
	case fmt.Stringer:
		if s := t.String(); len(s) > MaxValueBytes {
			return shorten(s, MaxValueBytes)
		}
		return v
	}
	data, err := json.Marshal(v)
	if err != nil || len(data) <= MaxValueBytes {
		return v
	}
	return shorten(string(data), MaxValueBytes)
}
