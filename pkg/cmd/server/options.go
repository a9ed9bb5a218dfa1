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

// Package server holds the wardle-apiserver command: its options, how they
// become a server configuration, and the cobra command that runs it.
//
// The files follow the path from flags to a running server:
//
//	options.go     the options, their defaults, and Complete
//	flags.go       the flags, in --help sections
//	flag_modes.go  which flags act in which mode; the others are refused
//	mode.go        standalone or aggregated (--mode), and every place
//	               the server could reach a cluster
//	standalone.go, standalone_config.go, standalone_admission.go
//	               a server without a Kubernetes cluster
//	aggregated.go  a server behind kube-apiserver
//	storage.go     etcd (embedded or not) and the storage codec
//	validation.go  Validate
//	config.go      Config: options to apiserver.Config, starting nothing
//	run.go         Prepare and Run: what starts, opens or writes, and the
//	               one stack that closes it all in reverse order
package server

import (
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	basecompatibility "k8s.io/component-base/compatibility"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/kubernetes/pkg/kubeapiserver"
	netutils "k8s.io/utils/net"

	wardleadmission "github.com/wardle-example/wardle-apiserver/pkg/admission"
	"github.com/wardle-example/wardle-apiserver/pkg/auth/standalone"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/etcdhealth"
)

const (
	// defaultEtcdPathPrefix is where wardle objects live in etcd, as in the
	// upstream sample, so an existing etcd keeps its data.
	defaultEtcdPathPrefix = "/registry/wardle.example.com"
	// defaultWatchTerminationGracePeriod is --shutdown-watch-termination-grace-period's default.
	defaultWatchTerminationGracePeriod = 5 * time.Second
	// defaultSecurePort is the HTTPS port when --secure-port is not given.
	defaultSecurePort = 8443
)

// WardleServerOptions are everything the wardle-apiserver command can be
// told: the library's recommended options (etcd, serving, authn/authz,
// audit, admission...), the generic run options, and ours.
type WardleServerOptions struct {
	RecommendedOptions *genericoptions.RecommendedOptions
	ServerRunOptions   *genericoptions.ServerRunOptions
	InsecureServing    *InsecureServingOptions
	// EmbeddedEtcd tunes the etcd the server runs when no --etcd-servers
	// are given.
	EmbeddedEtcd *embeddedetcd.Options
	// StandaloneAuthentication and StandaloneAuthorization add what a
	// server without a cluster needs: tokens, webhooks, a policy file.
	StandaloneAuthentication *standalone.AuthenticationOptions
	StandaloneAuthorization  *standalone.AuthorizationOptions
	// ServiceAccounts issue and accept service-account tokens (standalone).
	ServiceAccounts *standalone.ServiceAccountOptions
	// EventTTL is how long a standalone server keeps events.
	EventTTL time.Duration
	// LeaderElection makes replicas of a standalone server that share an
	// etcd run the in-process controllers one at a time.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// ComponentGlobalsRegistry holds feature gates and the emulated version.
	ComponentGlobalsRegistry basecompatibility.ComponentGlobalsRegistry

	// Mode is --mode: standalone, aggregated, or auto (the default), which
	// chooses aggregated when a kubeconfig to a cluster is given or the
	// server runs in one.
	Mode string

	// DataDir holds the embedded etcd's data, the generated certificates
	// and admin.kubeconfig.
	DataDir string
	// Controllers are the controllers to run inside the server, on its
	// loopback client: names, "*" for all of the mode's, "-name" to leave
	// one out. Complete defaults it by mode.
	Controllers []string

	StdOut io.Writer
	StdErr io.Writer

	// flags remembers the flag set, so Complete and Validate can tell a
	// value the user gave from a default.
	flags *pflag.FlagSet
	// standalone is decided by Complete, from --mode (chooseMode).
	standalone bool
	// modeReason says why the mode is what it is, for the log.
	modeReason string
	// kubeconfigsGiven are the kubeconfig flags with a value, as given,
	// before Complete fills any in from another.
	kubeconfigsGiven []string
	// embeddedEtcd is set by Complete when no --etcd-servers are given.
	embeddedEtcd *embeddedetcd.Config
	// ownClientCA is true when the client CA is the one this server generates.
	ownClientCA bool
	// certDirGiven is true when --cert-dir names the cert dir: it is the
	// operator's, perhaps shared by replicas and read-only, and the server
	// replaces nothing there (see ensureGivenCertDir).
	certDirGiven bool
}

// NewWardleServerOptions returns the defaults: standalone, embedded etcd in
// ./.wardle, HTTPS on 127.0.0.1:8443.
func NewWardleServerOptions(out, errOut io.Writer) *WardleServerOptions {
	o := &WardleServerOptions{
		// No storage codec here: it depends on --storage-media-type, which
		// is only known once the flags are parsed. completeStorageCodec sets
		// it, in Complete, and is the only place that does; a codec passed
		// here would only be overwritten there.
		RecommendedOptions:       genericoptions.NewRecommendedOptions(defaultEtcdPathPrefix, nil),
		ServerRunOptions:         genericoptions.NewServerRunOptions(),
		InsecureServing:          NewInsecureServingOptions(),
		EmbeddedEtcd:             embeddedetcd.NewOptions(),
		StandaloneAuthentication: standalone.NewAuthenticationOptions(),
		StandaloneAuthorization:  standalone.NewAuthorizationOptions(),
		ServiceAccounts:          standalone.NewServiceAccountOptions(),
		EventTTL:                 time.Hour,
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      resourcelock.LeasesResourceLock,
			ResourceName:      "wardle-controller-manager",
			ResourceNamespace: metav1.NamespaceSystem,
		},
		ComponentGlobalsRegistry: compatibility.DefaultComponentGlobalsRegistry,
		Mode:                     modeAuto,
		DataDir:                  "./.wardle",
		StdOut:                   out,
		StdErr:                   errOut,
	}
	// Objects are stored as protobuf by default, as kube-apiserver stores
	// its own types: smaller and faster to decode than JSON. Complete builds
	// the storage codec from --storage-media-type.
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf
	// How long etcd may be silent before readiness and /healthz fail and
	// requests that need it are refused: longer than a healthy etcd's
	// pauses (pkg/etcdhealth.DefaultWindow), where the library's 2 s would
	// turn a defragmentation or an election into 503s.
	o.RecommendedOptions.Etcd.StorageConfig.HealthcheckTimeout = etcdhealth.DefaultWindow
	o.RecommendedOptions.Etcd.StorageConfig.ReadycheckTimeout = etcdhealth.DefaultWindow

	// At shutdown, end the open watches (their clients reconnect, to
	// another replica if any) instead of leaving them open: the HTTP server
	// waits for every open connection to close, up to the request timeout,
	// and a watch, say a controller's through kube-apiserver, does not
	// close by itself. The watches end at once; this bounds the wait.
	o.ServerRunOptions.ShutdownWatchTerminationGracePeriod = defaultWatchTerminationGracePeriod
	// And keep listening until the requests in flight have finished,
	// answering new ones 429 with Retry-After, then give the connections
	// that are left two seconds: without it, the HTTP server starts
	// closing at once and waits up to the request timeout for every
	// connection, one accepted as it began closing included (Go's HTTP/2
	// server never tells that one to go away, so a SIGTERM while clients
	// connect could take a minute).
	o.ServerRunOptions.ShutdownSendRetryAfter = true

	// Registered here, not in Complete, so that --help lists them.
	wardleadmission.Register(o.RecommendedOptions.Admission)
	// Events are written often and read rarely: like kube-apiserver, keep
	// them out of the watch cache.
	o.RecommendedOptions.Etcd.WatchCacheSizes, _ = genericoptions.WriteWatchCacheSizes(kubeapiserver.DefaultWatchCacheSizes())

	serving := o.RecommendedOptions.SecureServing
	serving.BindAddress = netutils.ParseIPSloppy("127.0.0.1")
	serving.BindPort = defaultSecurePort
	// Empty means <data-dir>/pki; Complete fills it in once --data-dir is known.
	serving.ServerCert.CertDirectory = ""
	serving.ServerCert.PairName = "apiserver"
	return o
}

// Complete chooses the mode and fills in what depends on other options.
func (o *WardleServerOptions) Complete() error {
	if err := o.ServerRunOptions.Complete(); err != nil {
		return err
	}
	if err := o.chooseMode(); err != nil {
		return err
	}

	serving := o.RecommendedOptions.SecureServing
	if serving.MinTLSVersion == "" {
		// Go's default today, made explicit so it cannot drift lower.
		serving.MinTLSVersion = "VersionTLS12"
	}
	o.certDirGiven = serving.ServerCert.CertDirectory != ""
	if !o.certDirGiven {
		serving.ServerCert.CertDirectory = filepath.Join(o.DataDir, "pki")
	}

	if err := o.completeStorage(); err != nil {
		return err
	}

	if o.standalone {
		o.completeStandalone()
	} else {
		o.completeAggregated()
	}
	if !o.userSet("controllers") && o.Controllers == nil && o.standalone {
		o.Controllers = []string{"*"}
	}

	// The advertised address appears in discovery. On a loopback bind the
	// library would look for a host interface, which a sandbox may not have.
	if o.ServerRunOptions.AdvertiseAddress == nil && serving.BindAddress.IsLoopback() {
		o.ServerRunOptions.AdvertiseAddress = serving.BindAddress
	}
	return o.ServerRunOptions.DefaultAdvertiseAddress(serving.SecureServingOptions)
}
