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

// Command wardle-controller keeps Flunder status up to date. See
// pkg/cmd/controller for its options.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/component-base/cli"

	"github.com/wardle-example/wardle-apiserver/pkg/cmd/controller"
)

func main() {
	// SIGINT or SIGTERM stops the workers after their current Flunder; a
	// second signal exits at once.
	ctx := signalContext()
	os.Exit(cli.Run(controller.NewCommand(ctx)))
}

// signalContext ends at the first SIGINT or SIGTERM; a second one exits at
// once. (k8s.io/apiserver's SetupSignalContext does the same, but would
// link the whole API server library into this binary.)
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		<-signals
		os.Exit(1)
	}()
	return ctx
}
