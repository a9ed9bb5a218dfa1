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

// Package abac authorizes requests by a policy file in the format of
// kube-apiserver's ABAC mode (--authorization-policy-file), so a Kubernetes
// user already knows how to write one: one JSON Policy object per line,
//
//	{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy",
//	 "spec": {"user": "alice", "namespace": "*", "apiGroup": "wardle.example.com", "resource": "*", "readonly": true}}
//
// Blank lines and lines starting with # are skipped. A request is allowed
// when any policy matches it; otherwise the authorizer has no opinion, and
// the next authorizer (or the final deny) decides.
//
// Matching follows the documented ABAC rules: the subject matches by user
// or group ("*" for any); a resource policy matches resource requests by
// namespace, resource and apiGroup ("*" for any); a non-resource policy
// matches by path ("*" for any, or a trailing "*" for a prefix); readonly
// policies match only get, list and watch.
package abac

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

const (
	// APIVersion is the only policy version this package reads.
	APIVersion = "abac.authorization.kubernetes.io/v1beta1"
	// Kind is the kind of every line.
	Kind = "Policy"
	// wildcard matches any value.
	wildcard = "*"
)

// Policy is one line of a policy file.
type Policy struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Spec       PolicySpec `json:"spec"`
}

// PolicySpec says whom a policy allows to do what.
type PolicySpec struct {
	// User is a user name, or "*" for every user.
	User string `json:"user,omitempty"`
	// Group is a group name, or "*" for every group.
	Group string `json:"group,omitempty"`
	// Readonly restricts the policy to get, list and watch.
	Readonly bool `json:"readonly,omitempty"`
	// APIGroup, Resource and Namespace select resource requests; "*" is any.
	// An empty Namespace matches only cluster-scoped requests.
	APIGroup  string `json:"apiGroup,omitempty"`
	Resource  string `json:"resource,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// NonResourcePath selects non-resource requests: "*", a path, or a
	// prefix ending in "*".
	NonResourcePath string `json:"nonResourcePath,omitempty"`
}

// Authorizer allows what any of its policies allows.
type Authorizer struct {
	policies []Policy
}

var _ authorizer.Authorizer = &Authorizer{}

// NewFromFile reads a policy file. Every line must be a valid policy; the
// first bad line is reported with its number, and the server refuses to
// start rather than run with a policy it misread.
func NewFromFile(path string) (*Authorizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var policies []Policy
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parsePolicy([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		policies = append(policies, p)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Authorizer{policies: policies}, nil
}

// parsePolicy decodes one line strictly: an unknown field is a typo that
// would otherwise silently change what the policy grants.
func parsePolicy(line []byte) (Policy, error) {
	var p Policy
	decoder := json.NewDecoder(bytes.NewReader(line))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&p); err != nil {
		return p, fmt.Errorf("not a policy: %w", err)
	}
	if p.APIVersion != APIVersion || p.Kind != Kind {
		return p, fmt.Errorf("apiVersion %q, kind %q: want %q, %q", p.APIVersion, p.Kind, APIVersion, Kind)
	}
	if p.Spec.User == "" && p.Spec.Group == "" {
		return p, fmt.Errorf("a policy needs a user or a group")
	}
	if p.Spec.NonResourcePath != "" && (p.Spec.Resource != "" || p.Spec.APIGroup != "" || p.Spec.Namespace != "") {
		return p, fmt.Errorf("a policy is for resources (apiGroup, resource, namespace) or for a nonResourcePath, not both")
	}
	return p, nil
}

// Authorize allows the request if a policy matches it, and has no opinion
// otherwise.
func (a *Authorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	for _, p := range a.policies {
		if p.matches(attrs) {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, "no ABAC policy matched", nil
}

// ConditionsAwareAuthorize is Authorize: policies have no conditions.
func (a *Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

// EvaluateConditions is not supported: Authorize never returns conditions.
func (a *Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func (p Policy) matches(attrs authorizer.Attributes) bool {
	if !p.subjectMatches(attrs.GetUser()) {
		return false
	}
	if p.Spec.Readonly && !attrs.IsReadOnly() {
		return false
	}
	if attrs.IsResourceRequest() {
		return matchValue(p.Spec.Namespace, attrs.GetNamespace()) &&
			p.Spec.Resource != "" && matchValue(p.Spec.Resource, attrs.GetResource()) &&
			p.Spec.APIGroup != "" && matchValue(p.Spec.APIGroup, attrs.GetAPIGroup())
	}
	return matchPath(p.Spec.NonResourcePath, attrs.GetPath())
}

// subjectMatches requires every subject field the policy sets to match.
func (p Policy) subjectMatches(u user.Info) bool {
	if u == nil {
		return false
	}
	if p.Spec.User != "" && p.Spec.User != wildcard && p.Spec.User != u.GetName() {
		return false
	}
	if p.Spec.Group != "" && p.Spec.Group != wildcard && !slices.Contains(u.GetGroups(), p.Spec.Group) {
		return false
	}
	return true
}

func matchValue(pattern, value string) bool {
	return pattern == wildcard || pattern == value
}

func matchPath(pattern, path string) bool {
	switch {
	case pattern == "":
		return false
	case pattern == wildcard || pattern == path:
		return true
	case strings.HasSuffix(pattern, wildcard):
		return strings.HasPrefix(path, strings.TrimSuffix(pattern, wildcard))
	default:
		return false
	}
}
