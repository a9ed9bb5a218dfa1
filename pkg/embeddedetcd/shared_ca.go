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

package embeddedetcd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// The members of an etcd cluster, one in each replica of a server, must
// trust one another's peer certificates, so their certificates must come
// from one CA: `wardle-apiserver pki create` makes it (NewCA) in the
// directory the replicas share, and each replica's Config names it as
// CADir. Each replica still issues its own certificates from it, into its
// own PKIDir; the shared CA is only read, never created, renewed or
// replaced by a server.

// NewCA makes, in memory, a CA for embedded etcds as a server makes its
// own in PKIDir: the same common name, an ECDSA P-256 key.
func NewCA() (*pki.CA, error) {
	return pki.NewECDSACA(caCommonName)
}

// caDir is where etcd's CA is: CADir, or PKIDir.
func (c *Config) caDir() string {
	if c.CADir != "" {
		return c.CADir
	}
	return c.PKIDir
}

// prepareCA returns etcd's CA: a shared one from CADir, which must be there
// and usable, or the server's own in PKIDir, made or renewed as needed. It
// creates PKIDir (mode 0700) for the certificates either way.
func (c *Config) prepareCA() (*pki.CA, error) {
	if c.CADir == "" || filepath.Clean(c.CADir) == filepath.Clean(c.PKIDir) {
		ca, err := pki.LoadOrCreateECDSACA(c.PKIDir, caCommonName)
		if err != nil {
			return nil, fmt.Errorf("preparing the embedded etcd's CA in %s: %w", c.PKIDir, err)
		}
		return ca, nil
	}
	ca, err := pki.LoadCA(c.CADir)
	if err != nil {
		return nil, fmt.Errorf("the embedded etcd's shared CA: %w", err)
	}
	if err := os.MkdirAll(c.PKIDir, 0o700); err != nil {
		return nil, err
	}
	return ca, nil
}
