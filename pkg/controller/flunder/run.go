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
	"context"

	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// Run runs the controller on its own informers over client until ctx ends.
func Run(ctx context.Context, client clientset.Interface, workers int, options ...Option) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(client, factory.Wardle().V1beta1().Flunders(), factory.Wardle().V1beta1().Fischers(), options...)
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	return c.Run(ctx, workers)
}
