//go:build tools

// Package tools keeps k8s.io/kubernetes/cmd/kube-apiserver in this module's
// graph, so that go mod tidy keeps every module it needs.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
