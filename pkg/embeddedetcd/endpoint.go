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
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// The embedded etcd listens on loopback ports chosen at every start, so a
// tool on the same host (wardle-apiserver snapshot save) could not find it.
// Once etcd serves, Run writes its client URL to Config.EndpointFile,
// <data-dir>/etcd-endpoint; Close removes it. The URL alone opens nothing:
// etcd requires the client certificate in <data-dir>/pki/etcd.

// writeEndpointFile writes u to path, mode 0600, through a temporary file
// renamed into place, so that a reader sees the whole URL or no file.
func writeEndpointFile(path string, u url.URL) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the embedded etcd's endpoint file: %w", err)
	}
	tmp := f.Name()
	_, err = f.WriteString(u.String() + "\n")
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		// CreateTemp makes the file 0600; say so, since the mode is part
		// of what the file promises.
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the embedded etcd's endpoint file %s: %w", path, err)
	}
	return nil
}

// removeEndpointFile removes the endpoint file, if it is there.
func removeEndpointFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the embedded etcd's endpoint file: %w", err)
	}
	return nil
}

// RunningClientConfig returns a client configuration for the embedded etcd
// of the server that runs on dataDir, with that data dir's own
// credentials: the URL in <data-dir>/etcd-endpoint, the API server's
// client certificate in <data-dir>/pki/etcd, and etcd's CA from
// <data-dir>/pki/etcd/ca.crt, or, when that is not there, from
// <certDir>/etcd/ca.crt (certDir may be empty). It fails, naming the
// endpoint file, when no server with an embedded etcd runs there.
func RunningClientConfig(dataDir, certDir string) (clientv3.Config, error) {
	endpointFile := EndpointFile(dataDir)
	data, err := os.ReadFile(endpointFile)
	if errors.Is(err, os.ErrNotExist) {
		return clientv3.Config{}, fmt.Errorf("no wardle-apiserver with an embedded etcd runs on data dir %s: %s does not exist "+
			"(a server writes it once its embedded etcd serves and removes it when it stops; "+
			"a server with --etcd-servers has none: take snapshots of that etcd with its own tools)", dataDir, endpointFile)
	}
	if err != nil {
		return clientv3.Config{}, fmt.Errorf("reading the embedded etcd's endpoint: %w", err)
	}
	endpoint := strings.TrimSpace(string(data))
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return clientv3.Config{}, fmt.Errorf("%s holds %q, not an etcd client URL", endpointFile, endpoint)
	}

	config := clientv3.Config{
		Endpoints: []string{endpoint},
		// A URL left behind by a server that was killed names a port
		// nobody serves: fail in seconds, not at the first request.
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	}
	if u.Scheme == "http" {
		return config, nil
	}
	// The files the server itself uses: its Config names them.
	own := &Config{PKIDir: PKIDir(dataDir)}
	caFile := own.CAFile()
	if _, err := os.Stat(caFile); errors.Is(err, os.ErrNotExist) && certDir != "" {
		caFile = filepath.Join(certDir, "etcd", "ca.crt")
	}
	tlsInfo := transport.TLSInfo{CertFile: own.ClientCertFile(), KeyFile: own.ClientKeyFile(), TrustedCAFile: caFile}
	for _, f := range []string{tlsInfo.CertFile, tlsInfo.KeyFile, tlsInfo.TrustedCAFile} {
		if _, err := os.Stat(f); err != nil {
			return clientv3.Config{}, fmt.Errorf("the embedded etcd's credentials: %w (etcd's CA is read from %s, or from <cert-dir>/etcd/ca.crt with --cert-dir)",
				err, own.CAFile())
		}
	}
	if config.TLS, err = tlsInfo.ClientConfig(); err != nil {
		return clientv3.Config{}, fmt.Errorf("the embedded etcd's credentials in %s: %w", own.PKIDir, err)
	}
	return config, nil
}
