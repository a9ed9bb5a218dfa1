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

package server

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	pkicmd "github.com/wardle-example/wardle-apiserver/pkg/cmd/pki"
)

// TestPKICommand: `pki create` is a subcommand with a help of its own, and
// the command without one is still the server, with the server's help.
func TestPKICommand(t *testing.T) {
	help := func(args ...string) string {
		t.Helper()
		cmd := NewCommandStartWardleServer(context.Background(), NewWardleServerOptions(io.Discard, io.Discard))
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}

	server := help("--help")
	for _, want := range []string{"Usage:\n  wardle-apiserver [flags]", "--data-dir", "--cert-dir", "wardle-apiserver pki create"} {
		if !strings.Contains(server, want) {
			t.Errorf("wardle-apiserver --help does not say %q:\n%s", want, server)
		}
	}
	create := help("pki", "create", "--help")
	for _, want := range []string{"Usage:\n  wardle-apiserver pki create --cert-dir DIR", "--hosts", "--server", "admin.kubeconfig"} {
		if !strings.Contains(create, want) {
			t.Errorf("wardle-apiserver pki create --help does not say %q:\n%s", want, create)
		}
	}
	if strings.Contains(create, "--data-dir") {
		t.Errorf("wardle-apiserver pki create --help lists the server's flags:\n%s", create)
	}

	// Cobra adds a completion command to a command with subcommands as it
	// executes; this one has none.
	cmd := NewCommandStartWardleServer(context.Background(), NewWardleServerOptions(io.Discard, io.Discard))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"completion", "bash"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `unknown command "completion"`) {
		t.Errorf("wardle-apiserver completion bash: %v, want an unknown command", err)
	}
	if pkicmd.DefaultServerPort != defaultSecurePort {
		t.Errorf("pki create's default --server port %d is not the server's default --secure-port %d", pkicmd.DefaultServerPort, defaultSecurePort)
	}
}
