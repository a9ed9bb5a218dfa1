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

// Command client shows how to use the generated wardle clientset: it lists
// the Flunders of a namespace, creates one that refers to a Fischer, and
// watches the namespace's Flunders from the list on.
//
// It is a Go module of its own that depends only on the API types and the
// generated clients, as a controller would. Against a server started with
// `make run` at the top of the checkout (it writes the admin kubeconfig to
// ./.wardle/admin.kubeconfig), from there:
//
//	go run -C examples/client . --kubeconfig ../../.wardle/admin.kubeconfig --namespace default --watch-for 30s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
)

func main() {
	// Ctrl-C (or SIGTERM) cancels ctx, which ends the watch.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its flags in args and its output to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", filepath.Join(".wardle", "admin.kubeconfig"), "kubeconfig of the wardle-apiserver")
	namespace := fs.String("namespace", "default", "namespace of the Flunders")
	fischer := fs.String("fischer", "example-fischer", "name of the Fischer the new Flunder refers to")
	watchFor := fs.Duration("watch-for", 10*time.Second, "how long to watch before exiting (Ctrl-C stops earlier)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// 1. A clientset from the kubeconfig, as for any Kubernetes API.
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", *kubeconfig, err)
	}
	client, err := clientset.NewForConfig(config)
	if err != nil {
		return err
	}
	// v1beta1 is the preferred version; WardleV1alpha1() works the same way.
	flunders := client.WardleV1beta1().Flunders(*namespace)

	// 2. List the Flunders. The list's resourceVersion is the point in
	// time the watch below starts from, so it misses nothing that follows.
	list, err := flunders.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing flunders: %w", err)
	}
	fmt.Fprintf(stdout, "%d flunder(s) in namespace %q:\n", len(list.Items), *namespace)
	table := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(table, "NAME\tREFERENCE TYPE\tREFERENCE")
	for _, f := range list.Items {
		fmt.Fprintf(table, "%s\t%s\t%s\n", f.Name, f.Spec.ReferenceType, reference(f.Spec))
	}
	if err := table.Flush(); err != nil {
		return err
	}

	// 3. Create a Flunder that refers to a Fischer. The server picks the
	// name from generateName, and defaults referenceType to "Fischer".
	created, err := flunders.Create(ctx, &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "example-"},
		Spec:       wardlev1beta1.FlunderSpec{FischerReference: *fischer},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating a flunder: %w", err)
	}
	fmt.Fprintf(stdout, "created flunder %s/%s (referenceType %s, reference %s)\n",
		created.Namespace, created.Name, created.Spec.ReferenceType, reference(created.Spec))

	// 4. Watch from the list's resourceVersion: the creation above comes
	// first, as an ADDED event, then whatever happens while we watch.
	ctx, cancel := context.WithTimeout(ctx, *watchFor)
	defer cancel()
	w, err := flunders.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return fmt.Errorf("watching flunders: %w", err)
	}
	defer w.Stop()
	fmt.Fprintf(stdout, "watching flunders in %q for %v (Ctrl-C to stop)\n", *namespace, *watchFor)
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "stopped watching")
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				if ctx.Err() != nil { // the watch ended because we stopped it
					fmt.Fprintln(stdout, "stopped watching")
					return nil
				}
				return errors.New("the server ended the watch")
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("watch: %w", apierrors.FromObject(ev.Object))
			}
			f, ok := ev.Object.(*wardlev1beta1.Flunder)
			if !ok || ev.Type == watch.Bookmark {
				continue // bookmarks come only to watches that ask for them
			}
			fmt.Fprintf(stdout, "%-8s %s (resourceVersion %s, referenceType %s, reference %s)\n",
				ev.Type, f.Name, f.ResourceVersion, f.Spec.ReferenceType, reference(f.Spec))
		}
	}
}

// reference is the name a Flunder refers to, whichever its type.
func reference(spec wardlev1beta1.FlunderSpec) string {
	if spec.FischerReference != "" {
		return spec.FischerReference
	}
	return spec.FlunderReference
}
