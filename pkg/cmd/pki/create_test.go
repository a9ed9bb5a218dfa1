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

package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// sharedFiles are the files pki create writes, and nothing else.
var sharedFiles = []string{
	"admin.kubeconfig",
	"apiserver.crt", "apiserver.key",
	"ca.crt", "ca.key",
	"etcd/ca.crt", "etcd/ca.key",
	"sa.key",
}

// create runs `pki create` with args through the command, as the binary
// does, and returns what it printed.
func create(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	// As cli.Run has it in the binary: the error is returned, not printed
	// with the usage.
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"create"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func mustCreate(t *testing.T, args ...string) string {
	t.Helper()
	out, err := create(t, args...)
	if err != nil {
		t.Fatalf("pki create %v: %v\n%s", args, err, out)
	}
	return out
}

// snapshot is every file and directory under dir: its mode, and for a file
// a hash of its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := info.Mode().String()
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			entry += " " + hex.EncodeToString(sum[:])
		}
		files[rel] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func fileNames(snap map[string]string) []string {
	var names []string
	for name, entry := range snap {
		if !strings.HasPrefix(entry, "d") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func expectUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for name, entry := range before {
		if after[name] != entry {
			t.Errorf("%s changed: %q, was %q", name, after[name], entry)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s appeared", name)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs, err := certutil.CertsFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func pool(cert *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(cert)
	return p
}

func TestCreateWritesTheSharedPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	out := mustCreate(t, "--cert-dir", dir, "--hosts", "wardle-0.wardle.svc,wardle-1.wardle.svc,10.0.0.5,fd00::7")

	snap := snapshot(t, dir)
	if got := fileNames(snap); !slices.Equal(got, sharedFiles) {
		t.Errorf("files in the dir: %v, want %v", got, sharedFiles)
	}
	for name, entry := range snap {
		want := "-rw-------"
		if name == "." || name == "etcd" {
			want = "drwx------"
		}
		if mode, _, _ := strings.Cut(entry, " "); mode != want {
			t.Errorf("%s has mode %s, want %s", name, mode, want)
		}
	}
	for _, name := range sharedFiles {
		if want := "wrote  " + filepath.Join(dir, name) + "\n"; !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "kept") {
		t.Errorf("nothing was there to keep, but the output says so:\n%s", out)
	}

	// The serving CA: the server's, RSA (see pki.newCAKey).
	ca := readCert(t, filepath.Join(dir, "ca.crt"))
	if _, ok := ca.PublicKey.(*rsa.PublicKey); !ok || !ca.IsCA || ca.Subject.CommonName != "wardle-ca" {
		t.Errorf("ca.crt: CA %v, CN %q, key %T; want an RSA CA named wardle-ca", ca.IsCA, ca.Subject.CommonName, ca.PublicKey)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")); err != nil {
		t.Errorf("ca.key is not the key of ca.crt: %v", err)
	}

	// The serving certificate: every host, 127.0.0.1 and localhost.
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"wardle-0.wardle.svc", "wardle-1.wardle.svc", "10.0.0.5", "fd00::7", "127.0.0.1", "localhost"} {
		if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca), DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("the serving certificate does not verify for %s with ca.crt: %v", host, err)
		}
	}
	if pair.Leaf.VerifyHostname("other.example") == nil {
		t.Error("the serving certificate is valid for a host not given")
	}

	// The service-account key, as a server generates its own.
	if key, err := keyutil.PrivateKeyFromFile(filepath.Join(dir, "sa.key")); err != nil {
		t.Errorf("sa.key: %v", err)
	} else if _, ok := key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("sa.key holds a %T, want an ECDSA key", key)
	}

	// The etcd CA: the embedded etcd's own kind, another CA.
	etcdCA := readCert(t, filepath.Join(dir, "etcd", "ca.crt"))
	if _, ok := etcdCA.PublicKey.(*ecdsa.PublicKey); !ok || !etcdCA.IsCA || etcdCA.Subject.CommonName != "wardle-etcd-ca" {
		t.Errorf("etcd/ca.crt: CA %v, CN %q, key %T; want an ECDSA CA named wardle-etcd-ca", etcdCA.IsCA, etcdCA.Subject.CommonName, etcdCA.PublicKey)
	}
	if etcdCA.Equal(ca) {
		t.Error("etcd's CA is the serving CA")
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "etcd", "ca.crt"), filepath.Join(dir, "etcd", "ca.key")); err != nil {
		t.Errorf("etcd/ca.key is not the key of etcd/ca.crt: %v", err)
	}

	// admin.kubeconfig: wardle-admin in system:masters, trusting ca.crt,
	// at https://<first host>:8443.
	config, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	if config.Host != "https://wardle-0.wardle.svc:8443" {
		t.Errorf("admin.kubeconfig's server is %q", config.Host)
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if !bytes.Equal(config.CAData, caPEM) {
		t.Error("admin.kubeconfig does not trust ca.crt")
	}
	client, err := tls.X509KeyPair(config.CertData, config.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the admin's client certificate does not verify with ca.crt: %v", err)
	}
	if subject := client.Leaf.Subject; subject.CommonName != "wardle-admin" || !slices.Equal(subject.Organization, []string{"system:masters"}) {
		t.Errorf("the admin's client certificate is for %v, want wardle-admin in system:masters", subject)
	}
}

func TestCreateServerURL(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--hosts", "fd00::7,wardle.example"}, "https://[fd00::7]:8443"},
		{[]string{"--hosts", "10.0.0.5"}, "https://10.0.0.5:8443"},
		{[]string{"--hosts", "*.wardle.svc,lb.example", "--server", "https://lb.example"}, "https://lb.example"},
		{[]string{"--hosts", "*.wardle.svc", "--server", "https://wardle-2.wardle.svc:443"}, "https://wardle-2.wardle.svc:443"},
		{[]string{"--hosts", "wardle.example", "--server", "https://localhost:9443"}, "https://localhost:9443"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			mustCreate(t, append([]string{"--cert-dir", dir}, tc.args...)...)
			config, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
			if err != nil {
				t.Fatal(err)
			}
			if config.Host != tc.want {
				t.Errorf("admin.kubeconfig's server is %q, want %q", config.Host, tc.want)
			}
		})
	}
}

func TestCreateRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--hosts", "a.example"}, `required flag(s) "cert-dir" not set`},
		{[]string{"--cert-dir", "$DIR"}, `required flag(s) "hosts" not set`},
		{[]string{"--cert-dir", "$DIR", "--hosts", "a.example,,b.example"}, "--hosts has an empty name"},
		{[]string{"--cert-dir", "$DIR", "--hosts", "Not_A_Name"}, `"Not_A_Name" is neither an IP address nor a DNS name`},
		{[]string{"--cert-dir", "$DIR", "--hosts", "*.wardle.svc"}, "--server is needed when the first of --hosts is a wildcard"},
		{[]string{"--cert-dir", "$DIR", "--hosts", "a.example", "--server", "http://a.example:8443"}, "want https://host[:port]"},
		{[]string{"--cert-dir", "$DIR", "--hosts", "a.example", "--server", "https://b.example"}, "b.example is not among --hosts"},
		{[]string{"--cert-dir", "$DIR", "--hosts", "a.example", "extra"}, `unknown command "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shared")
			args := slices.Clone(tc.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "$DIR", dir)
			}
			out, err := create(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("pki create %v: %v, want an error with %q\n%s", args, err, tc.want, out)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the dir was made although the flags were refused: %v", err)
			}
		})
	}
}

func TestCreateKeepsWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--cert-dir", dir, "--hosts", "wardle-0.wardle.svc,wardle-1.wardle.svc"}
	mustCreate(t, args...)
	first := snapshot(t, dir)

	// Again, the same: everything kept.
	out := mustCreate(t, args...)
	expectUnchanged(t, first, snapshot(t, dir))
	for _, name := range sharedFiles {
		if want := "kept   " + filepath.Join(dir, name) + "\n"; !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wrote") {
		t.Errorf("nothing was missing, but the output says something was written:\n%s", out)
	}
	// Fewer hosts: the serving certificate still fits.
	mustCreate(t, "--cert-dir", dir, "--hosts", "wardle-0.wardle.svc")
	expectUnchanged(t, first, snapshot(t, dir))

	// A serving certificate for more hosts, from the kept CA, once the old
	// one is removed: only it is written.
	for _, name := range []string{"apiserver.crt", "apiserver.key"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	out = mustCreate(t, "--cert-dir", dir, "--hosts", "wardle-0.wardle.svc,wardle-1.wardle.svc,wardle-2.wardle.svc")
	second := snapshot(t, dir)
	for _, name := range sharedFiles {
		written := name == "apiserver.crt" || name == "apiserver.key"
		if changed := second[name] != first[name]; changed != written {
			t.Errorf("%s changed: %v, want %v", name, changed, written)
		}
		verb := map[bool]string{true: "wrote  ", false: "kept   "}[written]
		if want := verb + filepath.Join(dir, name) + "\n"; !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	serving := readCert(t, filepath.Join(dir, "apiserver.crt"))
	if _, err := serving.Verify(x509.VerifyOptions{Roots: pool(readCert(t, filepath.Join(dir, "ca.crt"))), DNSName: "wardle-2.wardle.svc"}); err != nil {
		t.Errorf("the new serving certificate does not verify for the new host with the kept CA: %v", err)
	}

	// A missing service-account key alone is written.
	if err := os.Remove(filepath.Join(dir, "sa.key")); err != nil {
		t.Fatal(err)
	}
	out = mustCreate(t, "--cert-dir", dir, "--hosts", "wardle-0.wardle.svc,wardle-2.wardle.svc")
	third := snapshot(t, dir)
	for _, name := range sharedFiles {
		if changed := third[name] != second[name]; changed != (name == "sa.key") {
			t.Errorf("%s changed: %v", name, changed)
		}
	}
	if !strings.Contains(out, "wrote  "+filepath.Join(dir, "sa.key")+"\n") {
		t.Errorf("the output does not say sa.key was written:\n%s", out)
	}
}

// TestCreateRefusesWhatDoesNotFit checks that a file in the way is never
// replaced: the command writes nothing at all, and says what to remove.
func TestCreateRefusesWhatDoesNotFit(t *testing.T) {
	hosts := []string{"--hosts", "wardle-0.wardle.svc,wardle-1.wardle.svc"}
	for _, tc := range []struct {
		name string
		// change breaks the dir made by pki create with hosts.
		change func(t *testing.T, dir string)
		// args replace hosts when set.
		args []string
		want []string
	}{
		{
			name: "serving certificate for other hosts",
			args: []string{"--hosts", "wardle-0.wardle.svc,wardle-2.wardle.svc", "--server", "https://wardle-0.wardle.svc:8443"},
			want: []string{"apiserver.crt does not fit: it is not valid for wardle-2.wardle.svc", "remove $DIR/apiserver.crt and $DIR/apiserver.key to issue a new serving certificate from $DIR/ca.crt"},
		},
		{
			name: "admin.kubeconfig for another server",
			args: []string{"--hosts", "wardle-1.wardle.svc,wardle-0.wardle.svc"},
			want: []string{"admin.kubeconfig does not fit: its server is https://wardle-0.wardle.svc:8443, not https://wardle-1.wardle.svc:8443", "to write a new one, remove it"},
		},
		{
			name:   "CA key missing",
			change: remove("ca.key"),
			want:   []string{"$DIR/ca.crt is there without $DIR/ca.key: restore $DIR/ca.key, or remove $DIR/ca.crt to make a new CA"},
		},
		{
			name:   "CA missing, its certificates there",
			change: remove("ca.key", "ca.crt"),
			want: []string{
				"$DIR/apiserver.crt is there, but not the CA that signed it",
				"$DIR/admin.kubeconfig is there, but not the CA that signed its client certificate",
			},
		},
		{
			name:   "CA key of another CA",
			change: replaceWith("ca.key", "etcd/ca.key"),
			want:   []string{"$DIR/ca.key is not the key of $DIR/ca.crt", "to make a new CA, remove $DIR/ca.crt and $DIR/ca.key"},
		},
		{
			name:   "serving key missing",
			change: remove("apiserver.key"),
			want:   []string{"only one of $DIR/apiserver.crt and $DIR/apiserver.key is there"},
		},
		{
			name:   "serving certificate from another CA",
			change: replaceWith("apiserver.crt", "etcd/ca.crt"),
			want:   []string{"$DIR/apiserver.crt does not fit"},
		},
		{
			name:   "service-account key garbage",
			change: writeFile("sa.key", "not a key"),
			want:   []string{"$DIR/sa.key is not a private key", "to make a new one, remove it"},
		},
		{
			name:   "etcd CA garbage",
			change: writeFile("etcd/ca.crt", "not a certificate"),
			want:   []string{"etcd", "to make a new CA, remove $DIR/etcd/ca.crt and $DIR/etcd/ca.key"},
		},
		{
			name:   "two problems at once",
			change: remove("etcd/ca.key", "apiserver.key"),
			want:   []string{"nothing written to $DIR", "only one of $DIR/apiserver.crt", "$DIR/etcd/ca.crt is there without $DIR/etcd/ca.key"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustCreate(t, append([]string{"--cert-dir", dir}, hosts...)...)
			if tc.change != nil {
				tc.change(t, dir)
			}
			before := snapshot(t, dir)
			args := hosts
			if tc.args != nil {
				args = tc.args
			}
			out, err := create(t, append([]string{"--cert-dir", dir}, args...)...)
			if err == nil {
				t.Fatalf("pki create succeeded:\n%s", out)
			}
			for _, want := range tc.want {
				if want = strings.ReplaceAll(want, "$DIR", dir); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(out, "wrote") {
				t.Errorf("the output says something was written:\n%s", out)
			}
			expectUnchanged(t, before, snapshot(t, dir))
		})
	}
}

func remove(names ...string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		for _, name := range names {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func writeFile(name, content string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func replaceWith(name, other string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		data, err := os.ReadFile(filepath.Join(dir, other))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(name, string(data))(t, dir)
	}
}
