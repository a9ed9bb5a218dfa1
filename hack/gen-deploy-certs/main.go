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

// Command gen-deploy-certs creates the serving certificate that the
// artifacts/deploy overlays need: a CA (ca.crt, ca.key) and a certificate
// for the wardle Service (tls.crt, tls.key), signed by it, in
// artifacts/deploy/certs. The certs component puts them in a Secret and the
// CA in the APIServices' caBundle. Running it again keeps what is still valid.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

func main() {
	dir := flag.String("dir", filepath.Join("artifacts", "deploy", "certs"), "directory to write ca.crt, ca.key, tls.crt and tls.key to")
	service := flag.String("service", "api", "name of the Service in front of wardle-apiserver")
	namespace := flag.String("namespace", "wardle", "namespace of the Service")
	flag.Parse()

	ca, err := pki.LoadOrCreateCA(*dir, "wardle-apiserver-ca")
	if err != nil {
		fail(err)
	}
	// The names kube-apiserver's aggregator and in-cluster clients use.
	names := []string{
		*service + "." + *namespace + ".svc",
		*service + "." + *namespace + ".svc.cluster.local",
		*service + "." + *namespace,
		*service,
	}
	if err := ca.EnsureServingCert(filepath.Join(*dir, "tls.crt"), filepath.Join(*dir, "tls.key"), names, nil); err != nil {
		fail(err)
	}
	fmt.Printf("Wrote %s/{ca.crt,ca.key,tls.crt,tls.key} for %v\n", *dir, names)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "gen-deploy-certs: %v\n", err)
	os.Exit(1)
}
