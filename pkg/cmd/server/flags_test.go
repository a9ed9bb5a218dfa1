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
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
)

// flagModes says, for a flag of the command, in which modes it acts.
type flagModes int

const (
	// both: the flag acts in standalone and aggregated mode.
	both flagModes = iota
	// standaloneOnly: refused in aggregated mode.
	standaloneOnly
	// aggregatedOnly: refused in standalone mode.
	aggregatedOnly
	// selectsAggregated: giving the flag is what turns aggregated mode on
	// (a kubeconfig to a cluster); it acts in aggregated mode.
	selectsAggregated
	// neither: refused in both modes.
	neither
	// notAnOption: --help, handled by cobra before any option is read.
	notAnOption
)

// flagCase classifies one flag and gives a value to set it to.
type flagCase struct {
	modes flagModes
	// value is what the flag is set to; "$TMP" is a fresh directory,
	// "$FILE" an existing empty file.
	value string
	// with are further flags the flag needs to act, whatever the mode;
	// "$CERTDIR" is a fresh --cert-dir with an etcd CA (etcd/ca.crt).
	with []string
	// check, if set, proves that the flag acts: it looks at the completed
	// options, or at a configuration built from them, in a mode where the
	// flag acts.
	check func(t *testing.T, o *WardleServerOptions)
}

// flagTable classifies every flag of wardle-apiserver. A flag missing from
// it fails TestEveryFlagActsOrIsRefused.
var flagTable = map[string]flagCase{
	// wardle
	// --mode=standalone and --mode=aggregated are walked below as modes;
	// auto acts in both, choosing by the kubeconfig flags.
	"mode": {modes: both, value: "auto", check: func(t *testing.T, o *WardleServerOptions) {
		if !strings.HasPrefix(o.modeReason, "auto: ") {
			t.Errorf("--mode=auto: the mode's reason is %q, want auto's", o.modeReason)
		}
	}},
	"controllers": {modes: both, value: "flunder-status", check: func(t *testing.T, o *WardleServerOptions) {
		if !slices.Equal(o.Controllers, []string{"flunder-status"}) {
			t.Errorf("controllers = %v", o.Controllers)
		}
	}},
	"data-dir": {modes: both, value: "$TMP", check: func(t *testing.T, o *WardleServerOptions) {
		if o.RecommendedOptions.SecureServing.ServerCert.CertDirectory != filepath.Join(o.DataDir, "pki") {
			t.Errorf("cert dir %q is not below --data-dir %q", o.RecommendedOptions.SecureServing.ServerCert.CertDirectory, o.DataDir)
		}
	}},
	"event-ttl": {modes: standaloneOnly, value: "2h", check: func(t *testing.T, o *WardleServerOptions) {
		if o.EventTTL != 2*time.Hour {
			t.Errorf("event TTL = %v", o.EventTTL)
		}
	}},

	// insecure serving
	"insecure-bind-address": {modes: both, value: "127.0.0.1"},
	"insecure-port": {modes: both, value: "18080", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.InsecureServing.Enabled() {
			t.Error("insecure port not enabled")
		}
	}},

	// leader election: the in-process controllers of a standalone server
	"leader-elect": {modes: standaloneOnly, value: "true", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.LeaderElection.LeaderElect {
			t.Error("leader election off")
		}
	}},
	"leader-elect-lease-duration":     {modes: standaloneOnly, value: "20s"},
	"leader-elect-renew-deadline":     {modes: standaloneOnly, value: "5s"},
	"leader-elect-retry-period":       {modes: standaloneOnly, value: "1s"},
	"leader-elect-resource-lock":      {modes: standaloneOnly, value: "leases"},
	"leader-elect-resource-namespace": {modes: standaloneOnly, value: "default"},
	"leader-elect-resource-name": {modes: standaloneOnly, value: "other-lease", check: func(t *testing.T, o *WardleServerOptions) {
		if o.LeaderElection.ResourceName != "other-lease" {
			t.Errorf("lease name = %q", o.LeaderElection.ResourceName)
		}
	}},

	// etcd
	"delete-collection-workers":                   {modes: both, value: "2"},
	"enable-garbage-collector":                    {modes: both, value: "false"},
	"encryption-provider-config":                  {modes: both, value: "/nonexistent/encryption.yaml"},
	"encryption-provider-config-automatic-reload": {modes: both, value: "true", with: []string{"--encryption-provider-config=/nonexistent/encryption.yaml"}},
	// The etcd client certificates are for an external etcd, in both
	// modes; without --etcd-servers they are refused (TestEtcdCertificateFlagsNeedEtcdServers).
	"etcd-cafile":   {modes: both, value: "/nonexistent/ca.crt", with: []string{"--etcd-servers=https://127.0.0.1:2379"}},
	"etcd-certfile": {modes: both, value: "/nonexistent/client.crt", with: []string{"--etcd-servers=https://127.0.0.1:2379"}},
	"etcd-keyfile": {modes: both, value: "/nonexistent/client.key", with: []string{"--etcd-servers=https://127.0.0.1:2379"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.RecommendedOptions.Etcd.StorageConfig.Transport.KeyFile != "/nonexistent/client.key" {
			t.Errorf("etcd key file = %q", o.RecommendedOptions.Etcd.StorageConfig.Transport.KeyFile)
		}
	}},
	"etcd-compaction-interval":      {modes: both, value: "10m"},
	"etcd-count-metric-poll-period": {modes: both, value: "2m"},
	"etcd-db-metric-poll-interval":  {modes: both, value: "1m"},
	"etcd-healthcheck-timeout": {modes: both, value: "3s", check: func(t *testing.T, o *WardleServerOptions) {
		if got := o.RecommendedOptions.Etcd.StorageConfig.HealthcheckTimeout; got != 3*time.Second {
			t.Errorf("health window = %v", got)
		}
	}},
	"etcd-readycheck-timeout": {modes: both, value: "4s", check: func(t *testing.T, o *WardleServerOptions) {
		if got := o.RecommendedOptions.Etcd.StorageConfig.ReadycheckTimeout; got != 4*time.Second {
			t.Errorf("readiness window = %v", got)
		}
	}},
	"etcd-prefix": {modes: both, value: "/other"},
	"etcd-servers": {modes: both, value: "http://127.0.0.1:2379", check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd != nil {
			t.Error("an embedded etcd with --etcd-servers")
		}
	}},
	// embedded etcd: they act in both modes, since the embedded etcd runs
	// in both; with --etcd-servers they are refused (TestEmbeddedEtcdFlagsNeedEmbeddedEtcd).
	"embedded-etcd-quota-backend-bytes": {modes: both, value: "4294967296", check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.QuotaBackendBytes != 4<<30 {
			t.Errorf("embedded etcd config %+v: want a 4 GiB quota", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-auto-compaction-mode": {modes: both, value: "revision", with: []string{"--embedded-etcd-auto-compaction-retention=1000"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.AutoCompactionMode != "revision" {
			t.Errorf("embedded etcd config %+v: want revision compaction", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-auto-compaction-retention": {modes: both, value: "1h", check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.AutoCompactionRetention != "1h" {
			t.Errorf("embedded etcd config %+v: want 1h of retention", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-initial-cluster": {modes: both, value: "a=https://127.0.0.1:2380", with: []string{"--cert-dir=$CERTDIR", "--embedded-etcd-name=a", "--embedded-etcd-peer-url=https://127.0.0.1:2380"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Cluster == nil || len(o.embeddedEtcd.Cluster.Members) != 1 {
			t.Errorf("embedded etcd config %+v: want a cluster of one", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-name": {modes: both, value: "b", with: []string{"--cert-dir=$CERTDIR", "--embedded-etcd-initial-cluster=b=https://127.0.0.1:2380", "--embedded-etcd-peer-url=https://127.0.0.1:2380"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Cluster == nil || o.embeddedEtcd.Cluster.Self.Name != "b" {
			t.Errorf("embedded etcd config %+v: want member b", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-peer-url": {modes: both, value: "https://127.0.0.1:2381", with: []string{"--cert-dir=$CERTDIR", "--embedded-etcd-initial-cluster=a=https://127.0.0.1:2381", "--embedded-etcd-name=a"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Cluster == nil || o.embeddedEtcd.Cluster.Self.PeerURL.Port() != "2381" {
			t.Errorf("embedded etcd config %+v: want peer port 2381", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-listen-peer-address": {modes: both, value: "127.0.0.1:2390", with: []string{"--cert-dir=$CERTDIR", "--embedded-etcd-initial-cluster=a=https://127.0.0.1:2380", "--embedded-etcd-name=a", "--embedded-etcd-peer-url=https://127.0.0.1:2380"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Cluster == nil || o.embeddedEtcd.Cluster.ListenPeer != "127.0.0.1:2390" {
			t.Errorf("embedded etcd config %+v: want to listen for peers on 127.0.0.1:2390", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-cluster-client-port": {modes: both, value: "12379", with: []string{"--cert-dir=$CERTDIR", "--embedded-etcd-initial-cluster=a=https://127.0.0.1:2380", "--embedded-etcd-name=a", "--embedded-etcd-peer-url=https://127.0.0.1:2380"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Cluster == nil || o.embeddedEtcd.Cluster.ClientPort != 12379 {
			t.Errorf("embedded etcd config %+v: want cluster client port 12379", o.embeddedEtcd)
		}
	}},
	// Scheduled snapshots: the retention and the directory are refused
	// without an interval (TestSnapshotFlagsNeedInterval).
	"embedded-etcd-snapshot-interval": {modes: both, value: "3s", check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Snapshots.Interval != 3*time.Second || o.embeddedEtcd.Snapshots.Dir != filepath.Join(o.DataDir, "snapshots") {
			t.Errorf("embedded etcd config %+v: want snapshots every 3s into <data-dir>/snapshots", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-snapshot-retention": {modes: both, value: "2", with: []string{"--embedded-etcd-snapshot-interval=1h"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Snapshots.Retention != 2 {
			t.Errorf("embedded etcd config %+v: want a retention of 2", o.embeddedEtcd)
		}
	}},
	"embedded-etcd-snapshot-dir": {modes: both, value: "$TMP", with: []string{"--embedded-etcd-snapshot-interval=1h"}, check: func(t *testing.T, o *WardleServerOptions) {
		if o.embeddedEtcd == nil || o.embeddedEtcd.Snapshots.Dir == filepath.Join(o.DataDir, "snapshots") {
			t.Errorf("embedded etcd config %+v: want the snapshot dir given", o.embeddedEtcd)
		}
	}},
	"etcd-servers-overrides":       {modes: neither, value: "/events#http://127.0.0.1:2380"},
	"lease-reuse-duration-seconds": {modes: both, value: "30"},
	"storage-backend":              {modes: both, value: "etcd3"},
	"storage-media-type": {modes: both, value: "application/json", check: func(t *testing.T, o *WardleServerOptions) {
		if id := o.RecommendedOptions.Etcd.StorageConfig.Codec.Identifier(); !strings.Contains(string(id), "json") {
			t.Errorf("storage codec %q is not JSON", id)
		}
	}},
	"watch-cache": {modes: both, value: "false"},
	// deprecated, hidden from --help
	"default-watch-cache-size": {modes: neither, value: "100"},
	"watch-cache-sizes":        {modes: both, value: "flunders.wardle.example.com#0"},

	// secure serving
	"bind-address": {modes: both, value: "127.0.0.1"},
	"cert-dir": {modes: both, value: "$TMP", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.certDirGiven || o.RecommendedOptions.SecureServing.ServerCert.CertDirectory == filepath.Join(o.DataDir, "pki") {
			t.Errorf("cert dir %q (given %v): want the flag's, used as given", o.RecommendedOptions.SecureServing.ServerCert.CertDirectory, o.certDirGiven)
		}
	}},
	"disable-http2-serving":            {modes: both, value: "true"},
	"http2-max-streams-per-connection": {modes: both, value: "500"},
	"permit-address-sharing":           {modes: both, value: "true"},
	"permit-port-sharing":              {modes: both, value: "true"},
	"secure-port":                      {modes: both, value: "9443"},
	"tls-cert-file":                    {modes: both, value: "/nonexistent/tls.crt", with: []string{"--tls-private-key-file=/nonexistent/tls.key"}},
	"tls-private-key-file":             {modes: both, value: "/nonexistent/tls.key", with: []string{"--tls-cert-file=/nonexistent/tls.crt"}},
	"tls-cipher-suites":                {modes: both, value: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	"tls-curve-preferences":            {modes: both, value: "23"},
	"tls-min-version":                  {modes: both, value: "VersionTLS13"},
	"tls-sni-cert-key":                 {modes: both, value: "/nonexistent/a.crt,/nonexistent/a.key"},

	// authentication
	"anonymous-auth": {modes: standaloneOnly, value: "true", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.StandaloneAuthentication.Anonymous {
			t.Error("anonymous off")
		}
	}},
	"api-audiences":             {modes: standaloneOnly, value: "wardle"},
	"authentication-kubeconfig": {modes: selectsAggregated, value: "/nonexistent/authn.kubeconfig"},
	"authentication-skip-lookup": {modes: aggregatedOnly, value: "true", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.RecommendedOptions.Authentication.SkipInClusterLookup {
			t.Error("lookup not skipped")
		}
	}},
	"authentication-tolerate-lookup-failure": {modes: aggregatedOnly, value: "true", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.RecommendedOptions.Authentication.TolerateInClusterLookupFailure {
			t.Error("lookup failure not tolerated")
		}
	}},
	"authentication-token-webhook-cache-ttl":   {modes: both, value: "20s"},
	"authentication-token-webhook-config-file": {modes: standaloneOnly, value: "/nonexistent/authn-webhook.kubeconfig"},
	"authentication-token-webhook-version": {modes: standaloneOnly, value: "v1beta1", check: func(t *testing.T, o *WardleServerOptions) {
		if o.StandaloneAuthentication.WebhookVersion != "v1beta1" {
			t.Errorf("TokenReview version = %q", o.StandaloneAuthentication.WebhookVersion)
		}
	}},
	"client-ca-file": {modes: both, value: "/nonexistent/ca.crt", check: func(t *testing.T, o *WardleServerOptions) {
		if o.RecommendedOptions.Authentication.ClientCert.ClientCA != "/nonexistent/ca.crt" || o.ownClientCA {
			t.Errorf("client CA = %q (own %v)", o.RecommendedOptions.Authentication.ClientCert.ClientCA, o.ownClientCA)
		}
	}},
	"requestheader-allowed-names":          {modes: both, value: "front-proxy"},
	"requestheader-client-ca-file":         {modes: both, value: "/nonexistent/front-proxy-ca.crt"},
	"requestheader-extra-headers-prefix":   {modes: both, value: "x-remote-extra-,x-extra-"},
	"requestheader-group-headers":          {modes: both, value: "x-remote-group,x-group"},
	"requestheader-uid-headers":            {modes: both, value: "x-remote-uid"},
	"requestheader-username-headers":       {modes: both, value: "x-remote-user,x-user"},
	"service-account-issuer":               {modes: standaloneOnly, value: "https://wardle.example.com"},
	"service-account-key-file":             {modes: standaloneOnly, value: "/nonexistent/sa.pub"},
	"service-account-max-token-expiration": {modes: standaloneOnly, value: "2h"},
	"service-account-signing-key-file": {modes: standaloneOnly, value: "/nonexistent/sa.key", check: func(t *testing.T, o *WardleServerOptions) {
		if o.ServiceAccounts.SigningKeyFile != "/nonexistent/sa.key" {
			t.Errorf("signing key = %q", o.ServiceAccounts.SigningKeyFile)
		}
	}},
	"token-auth-file": {modes: standaloneOnly, value: "/nonexistent/tokens.csv"},

	// authorization
	"authorization-always-allow-paths":             {modes: both, value: "/healthz"},
	"authorization-kubeconfig":                     {modes: selectsAggregated, value: "/nonexistent/authz.kubeconfig"},
	"authorization-policy-file":                    {modes: standaloneOnly, value: "/nonexistent/policy.jsonl"},
	"authorization-webhook-cache-authorized-ttl":   {modes: both, value: "20s"},
	"authorization-webhook-cache-unauthorized-ttl": {modes: both, value: "20s"},
	"authorization-webhook-config-file":            {modes: standaloneOnly, value: "/nonexistent/authz-webhook.kubeconfig"},
	"authorization-webhook-version": {modes: standaloneOnly, value: "v1beta1", check: func(t *testing.T, o *WardleServerOptions) {
		if o.StandaloneAuthorization.WebhookVersion != "v1beta1" {
			t.Errorf("SubjectAccessReview version = %q", o.StandaloneAuthorization.WebhookVersion)
		}
	}},

	// kubernetes cluster
	"kubeconfig": {modes: selectsAggregated, value: "/nonexistent/other.kubeconfig"},

	// audit
	"audit-log-batch-buffer-size":       {modes: both, value: "100"},
	"audit-log-batch-max-size":          {modes: both, value: "2"},
	"audit-log-batch-max-wait":          {modes: both, value: "1s"},
	"audit-log-batch-throttle-burst":    {modes: both, value: "1"},
	"audit-log-batch-throttle-enable":   {modes: both, value: "true"},
	"audit-log-batch-throttle-qps":      {modes: both, value: "1"},
	"audit-log-compress":                {modes: both, value: "true"},
	"audit-log-format":                  {modes: both, value: "legacy"},
	"audit-log-maxage":                  {modes: both, value: "1"},
	"audit-log-maxbackup":               {modes: both, value: "1"},
	"audit-log-maxsize":                 {modes: both, value: "1"},
	"audit-log-mode":                    {modes: both, value: "batch"},
	"audit-log-path":                    {modes: both, value: "$TMP/audit.log"},
	"audit-log-truncate-enabled":        {modes: both, value: "true"},
	"audit-log-truncate-max-batch-size": {modes: both, value: "1000000"},
	"audit-log-truncate-max-event-size": {modes: both, value: "100000"},
	"audit-log-version":                 {modes: both, value: "audit.k8s.io/v1"},
	"audit-policy-file":                 {modes: both, value: "/nonexistent/audit-policy.yaml"},
	// deprecated alias of --audit-webhook-initial-backoff, hidden from --help
	"audit-webhook-batch-initial-backoff":   {modes: both, value: "2s"},
	"audit-webhook-batch-buffer-size":       {modes: both, value: "100"},
	"audit-webhook-batch-max-size":          {modes: both, value: "2"},
	"audit-webhook-batch-max-wait":          {modes: both, value: "1s"},
	"audit-webhook-batch-throttle-burst":    {modes: both, value: "1"},
	"audit-webhook-batch-throttle-enable":   {modes: both, value: "false"},
	"audit-webhook-batch-throttle-qps":      {modes: both, value: "1"},
	"audit-webhook-config-file":             {modes: both, value: "/nonexistent/audit-webhook.kubeconfig"},
	"audit-webhook-initial-backoff":         {modes: both, value: "1s"},
	"audit-webhook-mode":                    {modes: both, value: "blocking"},
	"audit-webhook-truncate-enabled":        {modes: both, value: "true"},
	"audit-webhook-truncate-max-batch-size": {modes: both, value: "1000000"},
	"audit-webhook-truncate-max-event-size": {modes: both, value: "100000"},
	"audit-webhook-version":                 {modes: both, value: "audit.k8s.io/v1"},

	// admission
	"admission-control-config-file": {modes: both, value: "/nonexistent/admission.yaml"},
	"disable-admission-plugins":     {modes: both, value: "BanFlunder"},
	"enable-admission-plugins":      {modes: both, value: "BanFlunder"},

	// features
	"contention-profiling": {modes: both, value: "true"},
	"debug-socket-path":    {modes: both, value: "$TMP/debug.sock"},
	"enable-priority-and-fairness": {modes: aggregatedOnly, value: "true", check: func(t *testing.T, o *WardleServerOptions) {
		if !o.RecommendedOptions.Features.EnablePriorityAndFairness {
			t.Error("priority and fairness off")
		}
	}},
	"profiling": {modes: both, value: "false"},

	// egress selector, traces
	"egress-selector-config-file": {modes: both, value: "$FILE"},
	"tracing-config-file":         {modes: both, value: "$FILE"},

	// generic: the ones checked are applied to a genericapiserver.Config.
	"advertise-address": {modes: both, value: "127.0.0.2", check: applied(func(c *genericapiserver.Config) bool { return c.PublicAddress.String() == "127.0.0.2" })},
	"cors-allowed-origins": {modes: both, value: `//example\.com$`, check: applied(func(c *genericapiserver.Config) bool {
		return slices.Equal(c.CorsAllowedOriginList, []string{`//example\.com$`})
	})},
	"external-hostname":                       {modes: both, value: "wardle.example.com", check: applied(func(c *genericapiserver.Config) bool { return c.ExternalAddress == "wardle.example.com" })},
	"goaway-chance":                           {modes: both, value: "0.001", check: applied(func(c *genericapiserver.Config) bool { return c.GoawayChance == 0.001 })},
	"livez-grace-period":                      {modes: both, value: "5s", check: applied(func(c *genericapiserver.Config) bool { return c.LivezGracePeriod == 5*time.Second })},
	"max-mutating-requests-inflight":          {modes: both, value: "100", check: applied(func(c *genericapiserver.Config) bool { return c.MaxMutatingRequestsInFlight == 100 })},
	"max-requests-inflight":                   {modes: both, value: "200", check: applied(func(c *genericapiserver.Config) bool { return c.MaxRequestsInFlight == 200 })},
	"min-request-timeout":                     {modes: both, value: "900", check: applied(func(c *genericapiserver.Config) bool { return c.MinRequestTimeout == 900 })},
	"request-timeout":                         {modes: both, value: "30s", check: applied(func(c *genericapiserver.Config) bool { return c.RequestTimeout == 30*time.Second })},
	"shutdown-delay-duration":                 {modes: both, value: "1s", check: applied(func(c *genericapiserver.Config) bool { return c.ShutdownDelayDuration == time.Second })},
	"shutdown-send-retry-after":               {modes: both, value: "true", check: applied(func(c *genericapiserver.Config) bool { return c.ShutdownSendRetryAfter })},
	"shutdown-watch-termination-grace-period": {modes: both, value: "1s", check: applied(func(c *genericapiserver.Config) bool { return c.ShutdownWatchTerminationGracePeriod == time.Second })},
	"storage-initialization-timeout":          {modes: both, value: "30s", check: applied(func(c *genericapiserver.Config) bool { return c.StorageInitializationTimeout == 30*time.Second })},
	"strict-transport-security-directives": {modes: both, value: "max-age=31536000", check: applied(func(c *genericapiserver.Config) bool {
		return slices.Equal(c.HSTSDirectives, []string{"max-age=31536000"})
	})},
	"emulation-forward-compatible":                {modes: neither, value: "true"},
	"runtime-config-emulation-forward-compatible": {modes: neither, value: "true"},

	// feature gates: the process-wide registry. Set to what they are
	// already, as the registry outlives the test.
	"emulated-version":          {modes: both, value: "kube=1.37"},
	"feature-gates":             {modes: both, value: "kube:AllAlpha=false"},
	"min-compatibility-version": {modes: both, value: "kube=1.36"},

	"help": {modes: notAnOption},
}

// applied checks a generic flag in the configuration the server builds.
func applied(ok func(*genericapiserver.Config) bool) func(*testing.T, *WardleServerOptions) {
	return func(t *testing.T, o *WardleServerOptions) {
		c := genericapiserver.NewConfig(apiserver.Codecs)
		if err := o.ServerRunOptions.ApplyTo(c); err != nil {
			t.Fatalf("ServerRunOptions.ApplyTo: %v", err)
		}
		if !ok(c) {
			t.Error("the flag did not reach the server configuration")
		}
	}
}

// acts reports whether a flag of these modes acts in mode.
func (m flagModes) acts(mode string) bool {
	switch m {
	case both:
		return true
	case standaloneOnly:
		return mode == modeStandalone
	case aggregatedOnly, selectsAggregated:
		return mode == modeAggregated
	}
	return false
}

// modeRun is one way TestEveryFlagActsOrIsRefused runs the server: the
// mode, and the flags that select it.
type modeRun struct {
	name, mode string
	args       []string
}

// modeRuns are each mode as --mode=auto chooses it and as --mode says it.
var modeRuns = []modeRun{
	{"standalone", modeStandalone, nil},
	{"aggregated", modeAggregated, []string{"--kubeconfig=/nonexistent/kubeconfig"}},
	{"mode-standalone", modeStandalone, []string{"--mode=standalone"}},
	{"mode-aggregated", modeAggregated, []string{"--mode=aggregated", "--kubeconfig=/nonexistent/kubeconfig"}},
}

// TestEveryFlagActsOrIsRefused walks every flag of the wardle-apiserver
// command and, in standalone and in aggregated mode, each chosen by
// --mode=auto and by --mode, sets it as the command would parse it, then
// runs Complete and Validate as the command does before it starts
// anything. A flag that acts in the mode must validate (and, where the
// table says how, change the options or the configuration); any other flag
// must be refused with an error naming the flag and the mode.
func TestEveryFlagActsOrIsRefused(t *testing.T) {
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
	}
	cmd := NewCommandStartWardleServer(context.Background(), NewWardleServerOptions(io.Discard, io.Discard))
	cmd.InitDefaultHelpFlag()
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for name := range flagTable {
		if !slices.Contains(names, name) {
			t.Errorf("flagTable classifies --%s, which the command does not have: remove it from the table", name)
		}
	}

	for _, name := range names {
		tc, ok := flagTable[name]
		if !ok {
			t.Errorf("--%s is not classified: add it to flagTable in flags_test.go with the modes it acts in; "+
				"if it does nothing in a mode, make Validate refuse it there (flag_modes.go)", name)
			continue
		}
		if tc.modes == notAnOption {
			continue
		}
		for _, run := range modeRuns {
			mode := run.mode
			t.Run(name+"/"+run.name, func(t *testing.T) {
				tmp := t.TempDir()
				args := append([]string{"--data-dir=" + tmp}, run.args...)
				for _, arg := range tc.with {
					if strings.Contains(arg, "$CERTDIR") {
						// A cert dir with an etcd CA that replicas share
						// (Complete only looks for it).
						dir := t.TempDir()
						if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(filepath.Join(dir, "etcd", "ca.crt"), nil, 0o600); err != nil {
							t.Fatal(err)
						}
						arg = strings.ReplaceAll(arg, "$CERTDIR", dir)
					}
					args = append(args, arg)
				}
				value := strings.ReplaceAll(tc.value, "$TMP", t.TempDir())
				if strings.Contains(value, "$FILE") {
					file := filepath.Join(t.TempDir(), "file")
					if err := os.WriteFile(file, nil, 0o600); err != nil {
						t.Fatal(err)
					}
					value = strings.ReplaceAll(value, "$FILE", file)
				}
				args = append(args, "--"+name+"="+value)

				o := NewWardleServerOptions(io.Discard, io.Discard)
				c := NewCommandStartWardleServer(context.Background(), o)
				if err := c.ParseFlags(args); err != nil {
					t.Fatalf("parsing %v: %v", args, err)
				}
				if err := o.Complete(); err != nil {
					t.Fatalf("Complete with %v: %v", args, err)
				}
				if tc.modes == selectsAggregated && slices.Contains(run.args, "--mode=standalone") {
					// It contradicts --mode=standalone, which it cannot
					// turn into aggregated mode.
					contradiction := "--" + name + " contradicts --mode=standalone"
					if !o.Standalone() {
						t.Fatalf("--mode=standalone --%s: want standalone mode", name)
					}
					if err := o.Validate(); err == nil || !strings.Contains(err.Error(), contradiction) {
						t.Fatalf("want Validate to refuse --%s with %q, got %v", name, contradiction, err)
					}
					return
				}
				if tc.modes == selectsAggregated {
					// Under --mode=auto it is what selects aggregated mode.
					if o.Standalone() {
						t.Fatalf("--%s given: want aggregated mode", name)
					}
					if mode == modeStandalone {
						return
					}
				} else if got := map[bool]string{true: modeStandalone, false: modeAggregated}[o.Standalone()]; got != mode {
					t.Fatalf("%v: mode is %s, want %s", args, got, mode)
				}
				err := o.Validate()
				refused := "--" + name + " has no effect in " + mode + " mode"
				if !tc.modes.acts(mode) {
					if err == nil || !strings.Contains(err.Error(), refused) {
						t.Fatalf("--%s does nothing in %s mode: want Validate to refuse it with %q, got %v", name, mode, refused, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("--%s acts in %s mode: want %v to validate, got %v", name, mode, args, err)
				}
				if tc.check != nil {
					tc.check(t, o)
				}
			})
		}
	}
}

// TestRefusalMessages pins the wording of the refusals, which the server
// prints when it exits at startup.
func TestRefusalMessages(t *testing.T) {
	o := parsedOptions(t, "--authentication-skip-lookup", "--authentication-tolerate-lookup-failure", "--etcd-servers-overrides=/events#http://127.0.0.1:2380")
	err := o.Validate()
	for _, want := range []string{
		"--authentication-skip-lookup has no effect in standalone mode (it applies to aggregated mode only: ",
		"--authentication-tolerate-lookup-failure has no effect in standalone mode (it applies to aggregated mode only: ",
		"--etcd-servers-overrides has no effect in standalone mode (nor in aggregated mode: ",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
	o = parsedOptions(t, "--kubeconfig=/nonexistent/kubeconfig", "--authentication-token-webhook-version=v1", "--authorization-webhook-version=v1")
	err = o.Validate()
	for _, want := range []string{
		"--authentication-token-webhook-version has no effect in aggregated mode (it applies to standalone mode only: ",
		"--authorization-webhook-version has no effect in aggregated mode (it applies to standalone mode only: ",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}
