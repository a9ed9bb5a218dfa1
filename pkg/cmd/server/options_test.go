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
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"k8s.io/client-go/rest"
)

// parsedOptions returns options after parsing args as the command would,
// completed. It fails the test if parsing or Complete fails.
func parsedOptions(t *testing.T, args ...string) *WardleServerOptions {
	t.Helper()
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
	}
	o := NewWardleServerOptions(io.Discard, io.Discard)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir=" + t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := o.Complete(); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return o
}

func TestCompleteStandaloneByDefault(t *testing.T) {
	o := parsedOptions(t)
	ro := o.RecommendedOptions
	if !o.Standalone() {
		t.Fatal("no kubeconfig given: want standalone mode")
	}
	if ro.CoreAPI != nil {
		t.Error("standalone mode must not use the core API")
	}
	if want := filepath.Join(o.DataDir, "pki", "ca.crt"); ro.Authentication.ClientCert.ClientCA != want {
		t.Errorf("client CA = %q, want the generated CA %q", ro.Authentication.ClientCert.ClientCA, want)
	}
	if got := ro.SecureServing.MinTLSVersion; got != "VersionTLS12" {
		t.Errorf("minimum TLS version = %q, want VersionTLS12", got)
	}
	if ro.Features.EnablePriorityAndFairness {
		t.Error("priority and fairness needs a cluster; want it off")
	}
	if !ro.Etcd.EnableGarbageCollection {
		t.Error("standalone mode runs the garbage collector; want ownerReferences honoured")
	}
	if !slices.Equal(o.Controllers, []string{"*"}) {
		t.Errorf("controllers = %v, want all of them (*)", o.Controllers)
	}
	if o.LeaderElection.LeaderElect {
		t.Error("with the embedded etcd no other replica can exist; want no leader election")
	}
	if want := filepath.Join(o.DataDir, "pki", "sa.key"); o.ServiceAccounts.SigningKeyFile != want {
		t.Errorf("service-account signing key = %q, want %q", o.ServiceAccounts.SigningKeyFile, want)
	}
	if o.embeddedEtcd == nil || len(ro.Etcd.StorageConfig.Transport.ServerList) != 1 ||
		ro.Etcd.StorageConfig.Transport.ServerList[0] != o.embeddedEtcd.ClientURL.String() {
		t.Errorf("want the embedded etcd as the only server, got %v", ro.Etcd.StorageConfig.Transport.ServerList)
	}
	for _, u := range []url.URL{o.embeddedEtcd.ClientURL, o.embeddedEtcd.HTTPURL, o.embeddedEtcd.PeerURL} {
		if !strings.HasPrefix(u.Host, "127.0.0.1:") || u.Scheme != "https" {
			t.Errorf("embedded etcd must serve TLS on loopback only: %v", u.String())
		}
	}
	etcdPKI := filepath.Join(o.DataDir, "pki", "etcd")
	if o.embeddedEtcd.PKIDir != etcdPKI {
		t.Errorf("embedded etcd PKI dir = %q, want %q", o.embeddedEtcd.PKIDir, etcdPKI)
	}
	transport := ro.Etcd.StorageConfig.Transport
	if transport.TrustedCAFile != filepath.Join(etcdPKI, "ca.crt") ||
		transport.CertFile != filepath.Join(etcdPKI, "apiserver-etcd-client.crt") ||
		transport.KeyFile != filepath.Join(etcdPKI, "apiserver-etcd-client.key") {
		t.Errorf("storage transport CA, cert, key = %q, %q, %q, want etcd's CA and the API server's etcd client certificate in %s",
			transport.TrustedCAFile, transport.CertFile, transport.KeyFile, etcdPKI)
	}
	if got := ro.SecureServing.BindAddress.String(); got != "127.0.0.1" || ro.SecureServing.BindPort != 8443 {
		t.Errorf("secure serving default = %s:%d, want 127.0.0.1:8443", got, ro.SecureServing.BindPort)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("defaults must validate: %v", err)
	}
}

func TestCompleteKeepsUserChoices(t *testing.T) {
	o := parsedOptions(t, "--etcd-servers=http://127.0.0.1:2379", "--client-ca-file=/some/ca.crt", "--cert-dir=/some/dir")
	if o.embeddedEtcd != nil {
		t.Error("--etcd-servers given: no embedded etcd may be started")
	}
	if !o.LeaderElection.LeaderElect {
		t.Error("--etcd-servers given: replicas may share it; want leader election on")
	}
	if got := o.RecommendedOptions.Authentication.ClientCert.ClientCA; got != "/some/ca.crt" || o.ownClientCA {
		t.Errorf("client CA = %q (own %v), want the user's", got, o.ownClientCA)
	}
	if got := o.RecommendedOptions.SecureServing.ServerCert.CertDirectory; got != "/some/dir" {
		t.Errorf("cert dir = %q, want the user's", got)
	}
}

func TestEtcdCertificateFlagsNeedEtcdServers(t *testing.T) {
	o := parsedOptions(t, "--etcd-certfile=/some/client.crt", "--etcd-keyfile=/some/client.key", "--etcd-cafile=/some/ca.crt")
	err := o.Validate()
	for _, flag := range []string{"--etcd-cafile", "--etcd-certfile", "--etcd-keyfile"} {
		if err == nil || !strings.Contains(err.Error(), flag+" is for an external etcd (--etcd-servers)") {
			t.Errorf("%s without --etcd-servers: want an error naming it, got %v", flag, err)
		}
	}
	o = parsedOptions(t, "--etcd-servers=https://127.0.0.1:2379", "--etcd-certfile=/some/client.crt", "--etcd-keyfile=/some/client.key", "--etcd-cafile=/some/ca.crt")
	if err := o.Validate(); err != nil {
		t.Errorf("--etcd-servers with its certificates must validate: %v", err)
	}
	if transport := o.RecommendedOptions.Etcd.StorageConfig.Transport; transport.CertFile != "/some/client.crt" || transport.TrustedCAFile != "/some/ca.crt" {
		t.Errorf("--etcd-servers given: the user's etcd certificates must stay, got %+v", transport)
	}
}

func TestEmbeddedEtcdFlagsNeedEmbeddedEtcd(t *testing.T) {
	flags := []string{"--embedded-etcd-quota-backend-bytes=1073741824", "--embedded-etcd-auto-compaction-mode=periodic", "--embedded-etcd-auto-compaction-retention=1h",
		"--embedded-etcd-snapshot-interval=1h", "--embedded-etcd-snapshot-retention=3", "--embedded-etcd-snapshot-dir=/tmp/snapshots"}
	for _, mode := range [][]string{nil, {"--kubeconfig=/nonexistent/kubeconfig"}} {
		o := parsedOptions(t, append(append([]string{"--etcd-servers=https://127.0.0.1:2379"}, mode...), flags...)...)
		err := o.Validate()
		for _, flag := range []string{"--embedded-etcd-quota-backend-bytes", "--embedded-etcd-auto-compaction-mode", "--embedded-etcd-auto-compaction-retention",
			"--embedded-etcd-snapshot-interval", "--embedded-etcd-snapshot-retention", "--embedded-etcd-snapshot-dir"} {
			if err == nil || !strings.Contains(err.Error(), flag+" has no effect with --etcd-servers") {
				t.Errorf("%s with --etcd-servers %v: want an error naming it, got %v", flag, mode, err)
			}
		}
		o = parsedOptions(t, append(mode, flags...)...)
		if err := o.Validate(); err != nil {
			t.Errorf("the embedded etcd flags without --etcd-servers %v must validate: %v", mode, err)
		}
	}
	o := parsedOptions(t, "--embedded-etcd-auto-compaction-mode=daily")
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--embedded-etcd-auto-compaction-mode") {
		t.Errorf("an unknown compaction mode: want an error naming the flag, got %v", err)
	}
}

func TestAggregatedWhenKubeconfigGiven(t *testing.T) {
	for _, flag := range []string{"--kubeconfig", "--authentication-kubeconfig", "--authorization-kubeconfig"} {
		t.Run(flag, func(t *testing.T) {
			o := parsedOptions(t, flag+"=/nonexistent/kubeconfig")
			if o.Standalone() {
				t.Fatalf("%s given: want aggregated mode", flag)
			}
			if o.RecommendedOptions.Authentication.ClientCert.ClientCA != "" {
				t.Error("aggregated mode reads the client CA from the cluster, not the data dir")
			}
			if flag == "--kubeconfig" {
				ro := o.RecommendedOptions
				if ro.Authentication.RemoteKubeConfigFile != "/nonexistent/kubeconfig" || ro.Authorization.RemoteKubeConfigFile != "/nonexistent/kubeconfig" {
					t.Errorf("--kubeconfig alone must serve delegated authn and authz too: %q %q",
						ro.Authentication.RemoteKubeConfigFile, ro.Authorization.RemoteKubeConfigFile)
				}
			}
			withTokens := parsedOptions(t, flag+"=/nonexistent/kubeconfig", "--token-auth-file=/some/tokens.csv")
			if err := withTokens.Validate(); err == nil || !strings.Contains(err.Error(), "--token-auth-file has no effect in aggregated mode") {
				t.Errorf("a standalone-only flag in aggregated mode: Validate() = %v, want an error", err)
			}
			o.Controllers = []string{"namespace-controller"}
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), `--controllers: "namespace-controller" is not in the list of known controllers; known here: flunder-status`) {
				t.Errorf("a Kubernetes controller in aggregated mode: Validate() = %v, want an error", err)
			}
		})
	}
}

func TestValidateRefusesWhatStandaloneCannotDo(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"priority and fairness":    {[]string{"--enable-priority-and-fairness=true"}, "--enable-priority-and-fairness"},
		"cluster admission plugin": {[]string{"--enable-admission-plugins=ValidatingAdmissionWebhook"}, "ValidatingAdmissionWebhook"},
		"unknown controller":       {[]string{"--controllers=flunder-status,nope"}, `--controllers: "nope" is not in the list of known controllers`},
		"bad leader election":      {[]string{"--leader-elect", "--leader-elect-renew-deadline=20s"}, `--leader-elect-lease-duration: Invalid value: "15s": must be greater than --leader-elect-renew-deadline`},
		"renew within retry":       {[]string{"--leader-elect", "--leader-elect-renew-deadline=2s"}, `--leader-elect-renew-deadline: Invalid value: "2s": must be greater than --leader-elect-retry-period`},
		"not a Lease":              {[]string{"--leader-elect", "--leader-elect-resource-lock=configmaps"}, `--leader-elect-resource-lock: Unsupported value: "configmaps": supported values: "leases"`},
		"no Lease namespace":       {[]string{"--leader-elect", "--leader-elect-resource-namespace="}, "--leader-elect-resource-namespace: Required value"},
		"no event TTL":             {[]string{"--event-ttl=0"}, "--event-ttl"},
		"non-loopback insecure":    {[]string{"--insecure-port=8080", "--insecure-bind-address=0.0.0.0"}, "not a loopback address"},
		"empty data dir":           {[]string{"--data-dir="}, "--data-dir"},
		"old TLS":                  {[]string{"--tls-min-version=VersionTLS11"}, "VersionTLS12"},
		"no secure port":           {[]string{"--secure-port=0"}, "--secure-port must be a port between 1 and 65535"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := parsedOptions(t, tc.args...)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// fakeInCluster makes inClusterConfig return a configuration for host, as
// in a pod, or rest.ErrNotInCluster when host is empty, for the rest of
// the test. It returns how often the configuration was read.
func fakeInCluster(t *testing.T, host string) *int {
	t.Helper()
	reads := new(int)
	saved := inClusterConfig
	inClusterConfig = func() (*rest.Config, error) {
		*reads++
		if host == "" {
			return nil, rest.ErrNotInCluster
		}
		// Insecure: the tests' clusters have certificates of their own.
		return &rest.Config{Host: host, BearerToken: "token", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, nil
	}
	t.Cleanup(func() { inClusterConfig = saved })
	return reads
}

// completedOptions parses args as the command would and runs Complete,
// returning its error.
func completedOptions(t *testing.T, args ...string) (*WardleServerOptions, error) {
	t.Helper()
	o := NewWardleServerOptions(io.Discard, io.Discard)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir=" + t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	return o, o.Complete()
}

// TestModeRules checks each --mode value with and without the kubeconfig
// flags, in and out of a cluster: the mode chosen, why, whether the
// in-cluster configuration was read, and what Validate refuses.
func TestModeRules(t *testing.T) {
	const inCluster = "https://10.0.0.1:443"
	cases := []struct {
		name string
		args []string
		// cluster is the in-cluster configuration's host; empty: not in one.
		cluster        string
		wantStandalone bool
		wantReason     string
		// wantReads is whether Complete and Validate may read the
		// in-cluster configuration.
		wantReads bool
		// wantErrs are what Validate must say; none: it must pass.
		wantErrs []string
	}{
		{name: "auto, nothing", wantStandalone: true, wantReads: true,
			wantReason: "auto: no --kubeconfig, --authentication-kubeconfig or --authorization-kubeconfig, and not in a cluster (" + rest.ErrNotInCluster.Error() + ")"},
		{name: "auto in a cluster", cluster: inCluster, wantReads: true,
			wantReason: "auto: running in a Kubernetes cluster (in-cluster configuration for https://10.0.0.1:443)"},
		{name: "auto, --kubeconfig", args: []string{"--kubeconfig=/nonexistent/kubeconfig"}, cluster: inCluster,
			wantReason: "auto: --kubeconfig given"},
		{name: "auto, authn and authz kubeconfigs", args: []string{"--authentication-kubeconfig=/a", "--authorization-kubeconfig=/b"},
			wantReason: "auto: --authentication-kubeconfig, --authorization-kubeconfig given"},
		{name: "explicit auto", args: []string{"--mode=auto"}, cluster: inCluster, wantReads: true,
			wantReason: "auto: running in a Kubernetes cluster"},

		{name: "standalone", args: []string{"--mode=standalone"}, wantStandalone: true, wantReason: "chosen by --mode"},
		{name: "standalone in a cluster", args: []string{"--mode=standalone"}, cluster: inCluster, wantStandalone: true, wantReason: "chosen by --mode"},
		{name: "standalone with the kubeconfig flags", cluster: inCluster, wantStandalone: true, wantReason: "chosen by --mode",
			args: []string{"--mode=standalone", "--kubeconfig=/k", "--authentication-kubeconfig=/a", "--authorization-kubeconfig=/b"},
			wantErrs: []string{
				"--kubeconfig contradicts --mode=standalone: a standalone server talks to no Kubernetes cluster; leave --kubeconfig out, or use --mode=aggregated",
				"--authentication-kubeconfig contradicts --mode=standalone",
				"--authorization-kubeconfig contradicts --mode=standalone",
			}},
		{name: "standalone with an aggregated-only flag", args: []string{"--mode=standalone", "--authentication-skip-lookup"}, cluster: inCluster,
			wantStandalone: true, wantReason: "chosen by --mode",
			wantErrs: []string{"--authentication-skip-lookup has no effect in standalone mode (it applies to aggregated mode only"}},

		{name: "aggregated in a cluster", args: []string{"--mode=aggregated"}, cluster: inCluster, wantReads: true, wantReason: "chosen by --mode"},
		{name: "aggregated, --kubeconfig", args: []string{"--mode=aggregated", "--kubeconfig=/nonexistent/kubeconfig"}, wantReason: "chosen by --mode"},
		{name: "aggregated without a cluster", args: []string{"--mode=aggregated"}, wantReads: true, wantReason: "chosen by --mode",
			wantErrs: []string{"--mode=aggregated needs a cluster: give --kubeconfig or run in a cluster (the core API, delegated authentication, " +
				"delegated authorization would come from the in-cluster configuration, which is not available: " + rest.ErrNotInCluster.Error() + ")"}},
		{name: "aggregated, --authentication-kubeconfig only", args: []string{"--mode=aggregated", "--authentication-kubeconfig=/a"},
			wantReads: true, wantReason: "chosen by --mode",
			wantErrs: []string{"(the core API, delegated authorization would come from the in-cluster configuration"}},
		{name: "aggregated with a standalone-only flag", args: []string{"--mode=aggregated", "--token-auth-file=/t"}, cluster: inCluster,
			wantReads: true, wantReason: "chosen by --mode",
			wantErrs: []string{"--token-auth-file has no effect in aggregated mode (it applies to standalone mode only"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reads := fakeInCluster(t, tc.cluster)
			o, err := completedOptions(t, tc.args...)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if o.Standalone() != tc.wantStandalone {
				t.Errorf("standalone = %v, want %v", o.Standalone(), tc.wantStandalone)
			}
			if !strings.HasPrefix(o.modeReason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", o.modeReason, tc.wantReason)
			}
			err = o.Validate()
			if *reads > 0 && !tc.wantReads {
				t.Errorf("the in-cluster configuration was read %d times; want never", *reads)
			}
			if len(tc.wantErrs) == 0 && err != nil {
				t.Errorf("Validate: %v", err)
			}
			for _, want := range tc.wantErrs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %v, want %q", err, want)
				}
			}
		})
	}
}

func TestModeStandaloneDropsTheCluster(t *testing.T) {
	fakeInCluster(t, "https://10.0.0.1:443")
	o, err := completedOptions(t, "--mode=standalone")
	if err != nil {
		t.Fatal(err)
	}
	ro := o.RecommendedOptions
	if ro.CoreAPI != nil {
		t.Error("--mode=standalone: the core API options must be gone, or the library reads the in-cluster configuration")
	}
	if ro.Authentication.RemoteKubeConfigFile != "" || ro.Authorization.RemoteKubeConfigFile != "" {
		t.Error("--mode=standalone: no delegated authentication or authorization kubeconfig")
	}
	if !slices.Equal(o.Controllers, []string{"*"}) {
		t.Errorf("controllers = %v, want standalone's (*)", o.Controllers)
	}
}

func TestModeInvalidValueRefused(t *testing.T) {
	reads := fakeInCluster(t, "")
	for _, value := range []string{"bogus", "", "Standalone"} {
		_, err := completedOptions(t, "--mode="+value)
		want := "--mode=" + value + ": the mode must be one of auto, standalone, aggregated"
		if err == nil || err.Error() != want {
			t.Errorf("--mode=%s: Complete() = %v, want %q", value, err, want)
		}
	}
	if *reads != 0 {
		t.Errorf("an invalid --mode read the in-cluster configuration %d times", *reads)
	}
}
