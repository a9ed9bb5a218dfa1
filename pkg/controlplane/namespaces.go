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

package controlplane

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubernetes/pkg/controlplane/controller/systemnamespaces"
)

// addSystemNamespacesHooks runs Kubernetes' system namespaces controller,
// which creates the namespaces and recreates them should they go, and makes
// the server ready only once they exist: with NamespaceLifecycle on, an
// object in "default" is refused until "default" exists.
func addSystemNamespacesHooks(s *genericapiserver.GenericAPIServer, namespaces []string, factory informers.SharedInformerFactory) error {
	if len(namespaces) == 0 {
		return nil
	}
	// The informer must be known before the factory starts.
	namespaceInformer := factory.Core().V1().Namespaces()
	namespaceInformer.Informer()
	if err := s.AddPostStartHook("start-system-namespaces-controller", func(ctx genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
		if err != nil {
			return err
		}
		go systemnamespaces.NewController(namespaces, client, namespaceInformer).Run(ctx.Done())
		return nil
	}); err != nil {
		return err
	}
	return s.AddPostStartHook("system-namespaces-exist", func(ctx genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
		if err != nil {
			return err
		}
		return waitForNamespaces(ctx, client, namespaces)
	})
}

// waitForNamespaces returns once every namespace exists, or with an error
// after a minute (then /readyz stays failing and the log says why), or
// when ctx ends.
func waitForNamespaces(ctx context.Context, client kubernetes.Interface, namespaces []string) error {
	var missing string
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, name := range namespaces {
			if _, err := client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); err != nil {
				if !apierrors.IsNotFound(err) {
					missing = fmt.Sprintf("%s (%v)", name, err)
				} else {
					missing = name
				}
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("namespace %s does not exist yet: %w", missing, err)
	}
	// Done, or the server stops before they exist: a stop is no failure
	// (a post-start hook's error ends the process with a fatal error).
	return nil
}
