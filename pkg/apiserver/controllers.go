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
	"fmt"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/flunder"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// controllerWorkers is how many Flunders the in-server controller
// reconciles at once.
const controllerWorkers = 2

// addFlunderStatusController runs the flunder-status controller in the
// server once it serves. It shares the admission plugins' informers, so
// the server keeps one copy of each wardle object, and writes status
// through the loopback client.
func (s *WardleServer) addFlunderStatusController(factory informers.SharedInformerFactory) error {
	if factory == nil {
		return fmt.Errorf("the %s controller needs the wardle informer factory", flunder.Name)
	}
	client, err := clientset.NewForConfig(s.GenericAPIServer.LoopbackClientConfig)
	if err != nil {
		return err
	}
	// Created now, before the informers start, so its informers and index
	// are in place when they do.
	controller, err := flunder.New(client, factory.Wardle().V1beta1().Flunders(), factory.Wardle().V1beta1().Fischers())
	if err != nil {
		return err
	}
	return s.GenericAPIServer.AddPostStartHook("start-"+flunder.Name+"-controller", func(ctx genericapiserver.PostStartHookContext) error {
		go func() {
			if err := controller.Run(ctx, controllerWorkers); err != nil {
				klog.ErrorS(err, "The in-server controller stopped", "controller", flunder.Name)
			}
		}()
		return nil
	})
}
