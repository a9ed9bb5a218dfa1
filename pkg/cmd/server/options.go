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
package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/util/compatibility"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	cliflag "k8s.io/component-base/cli/flag"
	basecompatibility "k8s.io/component-base/compatibility"
	componentbaseconfig "k8s.io/component-base/config"
	componentbaseoptions "k8s.io/component-base/config/options"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/kubeapiserver"
	netutils "k8s.io/utils/net"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	wardleadmission "github.com/wardle-example/wardle-apiserver/pkg/admission"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/wardleinitializer"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/auth/standalone"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
	"github.com/wardle-example/wardle-apiserver/pkg/controlplane"
	"github.com/wardle-example/wardle-apiserver/pkg/datadir"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
	wardleopenapi "github.com/wardle-example/wardle-apiserver/pkg/generated/openapi"
	wardleversion "github.com/wardle-example/wardle-apiserver/pkg/version"
)

const (
	// defaultEtcdPathPrefix is where wardle objects live in etcd, as in the
	// upstream sample, so an existing etcd keeps its data.
	defaultEtcdPathPrefix = "/registry/wardle.example.com"
	// defaultSecurePort is the HTTPS port when --secure-port is not given.
	defaultSecurePort = 8443
	// caCommonName names the CA a standalone server generates.
	caCommonName = "wardle-ca"
)

// WardleServerOptions are everything the wardle-apiserver command can be
// told: the library's recommended options (etcd, serving, authn/authz,
// audit, admission...), the generic run options, and ours.
type WardleServerOptions struct {
	RecommendedOptions *genericoptions.RecommendedOptions
	ServerRunOptions   *genericoptions.ServerRunOptions
	InsecureServing    *InsecureServingOptions
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
	// standalone is decided by Complete: no kubeconfig to a Kubernetes
	// cluster is given and the server is not running in one.
	standalone bool
	// embeddedEtcd is set by Complete when no --etcd-servers are given.
	embeddedEtcd *embeddedetcd.Config
	// ownClientCA is true when the client CA is the one this server generates.
	ownClientCA bool
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
		DataDir:                  "./.wardle",
		StdOut:                   out,
		StdErr:                   errOut,
	}
	// Objects are stored as protobuf by default, as kube-apiserver stores
	// its own types: smaller and faster to decode than JSON. Complete builds
	// the storage codec from --storage-media-type.
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf

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

// Flags returns the flags in named sections, for --help.
func (o *WardleServerOptions) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets

	fs := fss.FlagSet("wardle")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, ""+
		"Directory for the embedded etcd's data and its own CA and certificates in pki/etcd (when no --etcd-servers are given), the generated CA and "+
		"serving certificate (unless --cert-dir or --tls-cert-file say otherwise) and, in standalone mode, admin.kubeconfig. "+
		"One server at a time: a second one on the same data dir exits at once.")
	fs.StringSliceVar(&o.Controllers, "controllers", o.Controllers, ""+
		"Controllers to run inside the server, as kube-controller-manager reads this flag: names, '*' for all, '-name' to leave one out. "+
		"Standalone mode: "+strings.Join(manager.Names(true), ", ")+" (default '*'); "+
		"with several replicas on one etcd they run on the leader only (--leader-elect). "+
		"Aggregated mode: "+manager.FlunderStatus+" only, default none: the cluster runs the others, and "+
		"wardle-controller --leader-elect runs flunder-status for several replicas. --controllers= turns them all off.")
	fs.DurationVar(&o.EventTTL, "event-ttl", o.EventTTL, "Standalone mode: how long events are kept.")
	o.InsecureServing.AddFlags(fss.FlagSet("insecure serving"))
	o.addLeaderElectionFlags(fss.FlagSet("leader election"))

	ro := o.RecommendedOptions
	ro.Etcd.AddFlags(fss.FlagSet("etcd"))
	ro.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	ro.Authentication.AddFlags(fss.FlagSet("authentication"))
	o.StandaloneAuthentication.AddFlags(fss.FlagSet("authentication"))
	o.ServiceAccounts.AddFlags(fss.FlagSet("authentication"))
	ro.Authorization.AddFlags(fss.FlagSet("authorization"))
	o.StandaloneAuthorization.AddFlags(fss.FlagSet("authorization"))
	ro.CoreAPI.AddFlags(fss.FlagSet("kubernetes cluster"))
	ro.Audit.AddFlags(fss.FlagSet("audit"))
	ro.Admission.AddFlags(fss.FlagSet("admission"))
	ro.Features.AddFlags(fss.FlagSet("features"))
	ro.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	ro.Traces.AddFlags(fss.FlagSet("traces"))
	o.ServerRunOptions.AddUniversalFlags(fss.FlagSet("generic"))
	o.ComponentGlobalsRegistry.AddFlags(fss.FlagSet("feature gates"))

	// The library's flags that act in one mode only, or in none, say so
	// in --help; Validate refuses them elsewhere (flag_modes.go).
	for _, section := range fss.FlagSets {
		section.VisitAll(func(f *pflag.Flag) {
			if _, ok := aggregatedOnlyFlags[f.Name]; ok && !strings.HasPrefix(f.Usage, "Aggregated mode: ") {
				f.Usage = "Aggregated mode: " + f.Usage
			}
			if why, ok := noEffectFlags[f.Name]; ok && !strings.HasPrefix(f.Usage, "Refused: ") {
				f.Usage = "Refused: " + why + ". " + f.Usage
			}
		})
	}
	return fss
}

// addLeaderElectionFlags adds the --leader-elect* flags, all of them for
// standalone mode.
func (o *WardleServerOptions) addLeaderElectionFlags(fs *pflag.FlagSet) {
	componentbaseoptions.BindLeaderElectionFlags(&o.LeaderElection, fs)
	fs.Lookup("leader-elect").Usage = "Standalone mode: run the in-process controllers only while holding the Lease " +
		"--leader-elect-resource-namespace/--leader-elect-resource-name, so that replicas sharing one etcd run them one at a time. " +
		"Default: true with --etcd-servers, false with the embedded etcd (no other server can share it)."
}

// AddFlags adds every flag to fs.
func (o *WardleServerOptions) AddFlags(fs *pflag.FlagSet) {
	for _, section := range o.Flags().FlagSets {
		fs.AddFlagSet(section)
	}
	o.flags = fs
}

// userSet reports whether the user gave the flag.
func (o *WardleServerOptions) userSet(name string) bool {
	return o.flags != nil && o.flags.Changed(name)
}

// Standalone reports whether Complete chose standalone mode.
func (o *WardleServerOptions) Standalone() bool { return o.standalone }

// AdminKubeconfigPath is where a standalone server writes the admin kubeconfig.
func (o *WardleServerOptions) AdminKubeconfigPath() string {
	return filepath.Join(o.DataDir, "admin.kubeconfig")
}

// Complete chooses the mode and fills in what depends on other options.
func (o *WardleServerOptions) Complete() error {
	if err := o.ServerRunOptions.Complete(); err != nil {
		return err
	}
	o.standalone = !o.clusterConfigured()

	serving := o.RecommendedOptions.SecureServing
	if serving.MinTLSVersion == "" {
		// Go's default today, made explicit so it cannot drift lower.
		serving.MinTLSVersion = "VersionTLS12"
	}
	if serving.ServerCert.CertDirectory == "" {
		serving.ServerCert.CertDirectory = filepath.Join(o.DataDir, "pki")
	}

	if err := o.completeStorageCodec(); err != nil {
		return err
	}
	// The library's etcd checks would put etcd in liveness; applyEtcdHealthTo
	// puts it in readiness only.
	o.RecommendedOptions.Etcd.SkipHealthEndpoints = true
	if etcd := o.RecommendedOptions.Etcd; len(etcd.StorageConfig.Transport.ServerList) == 0 {
		// The embedded etcd serves mutual TLS only, with a CA of its own in
		// <data-dir>/pki/etcd (not --cert-dir: it belongs to the etcd data
		// beside it). Start makes the certificates; the storage transport
		// only needs their paths now.
		cfg, err := embeddedetcd.NewConfig(filepath.Join(o.DataDir, "etcd"), filepath.Join(o.DataDir, "pki", "etcd"))
		if err != nil {
			return err
		}
		o.embeddedEtcd = cfg
		transport := &etcd.StorageConfig.Transport
		transport.ServerList = []string{cfg.ClientURL.String()}
		transport.TrustedCAFile, transport.CertFile, transport.KeyFile = cfg.CAFile(), cfg.ClientCertFile(), cfg.ClientKeyFile()
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

// completeStorageCodec stores every wardle kind as v1beta1 in the
// --storage-media-type encoding. The library's simple storage factory takes
// the codec as given, so without this the flag would do nothing. The
// decoder recognizes every encoding, so objects written in another one
// before stay readable and are rewritten in this one when they change.
func (o *WardleServerOptions) completeStorageCodec() error {
	etcd := o.RecommendedOptions.Etcd
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  etcd.DefaultStorageMediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    v1beta1.SchemeGroupVersion,
		MemoryVersion:     wardle.SchemeGroupVersion,
		Config:            etcd.StorageConfig,
	})
	if err != nil {
		return fmt.Errorf("--storage-media-type: %w", err)
	}
	etcd.StorageConfig.Codec, etcd.StorageConfig.EncodeVersioner = codec, versioner
	return nil
}

// clusterConfigured reports whether the server is to delegate to a
// Kubernetes cluster: a kubeconfig for it is given, or it runs in one.
func (o *WardleServerOptions) clusterConfigured() bool {
	ro := o.RecommendedOptions
	if ro.CoreAPI != nil && ro.CoreAPI.CoreAPIKubeconfigPath != "" ||
		ro.Authentication.RemoteKubeConfigFile != "" ||
		ro.Authorization.RemoteKubeConfigFile != "" {
		return true
	}
	_, err := rest.InClusterConfig()
	return err == nil
}

// completeAggregated lets one --kubeconfig serve for delegated
// authentication and authorization too, as it does for the core API: the
// identity that reads namespaces is the one that sends TokenReviews and
// SubjectAccessReviews. Explicit --authentication-kubeconfig and
// --authorization-kubeconfig still win; without any, in-cluster config is used.
func (o *WardleServerOptions) completeAggregated() {
	ro := o.RecommendedOptions
	if ro.CoreAPI == nil || ro.CoreAPI.CoreAPIKubeconfigPath == "" {
		return
	}
	if ro.Authentication.RemoteKubeConfigFile == "" {
		ro.Authentication.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
	}
	if ro.Authorization.RemoteKubeConfigFile == "" {
		ro.Authorization.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
	}
}

// completeStandalone turns off what needs a Kubernetes cluster and points
// authentication at the CA this server generates.
func (o *WardleServerOptions) completeStandalone() {
	ro := o.RecommendedOptions
	ro.CoreAPI = nil

	if ro.Authentication.ClientCert.ClientCA == "" {
		ro.Authentication.ClientCert.ClientCA = filepath.Join(ro.SecureServing.ServerCert.CertDirectory, "ca.crt")
		o.ownClientCA = true
	}
	// Priority and fairness reads its configuration from the flowcontrol
	// API of a cluster; standalone servers limit load with
	// --max-requests-inflight and --max-mutating-requests-inflight instead.
	if !o.userSet("enable-priority-and-fairness") {
		ro.Features.EnablePriorityAndFairness = false
	}
	defaultOffClusterPlugins(ro.Admission)

	if o.ServiceAccounts.SigningKeyFile == "" {
		o.ServiceAccounts.SigningKeyFile = filepath.Join(ro.SecureServing.ServerCert.CertDirectory, "sa.key")
	}
	// Replicas can only share an external etcd; alone on the embedded one,
	// a server need not wait for a Lease after a crash.
	if !o.userSet("leader-elect") {
		o.LeaderElection.LeaderElect = o.embeddedEtcd == nil
	}
}

// Validate reports every invalid or contradictory option at once.
func (o *WardleServerOptions) Validate() error {
	var errs []error
	errs = append(errs, o.RecommendedOptions.Validate()...)
	errs = append(errs, o.ServerRunOptions.Validate()...)
	errs = append(errs, o.ComponentGlobalsRegistry.Validate()...)
	errs = append(errs, o.InsecureServing.Validate()...)
	errs = append(errs, o.StandaloneAuthentication.Validate()...)
	errs = append(errs, o.StandaloneAuthorization.Validate()...)
	errs = append(errs, o.ServiceAccounts.Validate()...)
	switch o.RecommendedOptions.SecureServing.MinTLSVersion {
	case "VersionTLS10", "VersionTLS11":
		errs = append(errs, fmt.Errorf("--tls-min-version %s is too old: the minimum is VersionTLS12", o.RecommendedOptions.SecureServing.MinTLSVersion))
	}
	// Flags given that do nothing in this mode (see flag_modes.go).
	errs = append(errs, o.flagsWithoutEffect()...)
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	if o.embeddedEtcd != nil {
		for _, name := range []string{"etcd-cafile", "etcd-certfile", "etcd-keyfile"} {
			if o.userSet(name) {
				errs = append(errs, fmt.Errorf("--%s is for an external etcd (--etcd-servers); the embedded etcd uses its own certificates in %s", name, o.embeddedEtcd.PKIDir))
			}
		}
	}
	if _, err := manager.Resolve(o.Controllers, manager.Names(o.standalone)); err != nil {
		errs = append(errs, fmt.Errorf("--controllers: %w", err))
	}
	if o.standalone {
		if le := o.LeaderElection; le.LeaderElect {
			if le.ResourceLock != resourcelock.LeasesResourceLock {
				errs = append(errs, fmt.Errorf("--leader-elect-resource-lock must be %q", resourcelock.LeasesResourceLock))
			}
			if le.LeaseDuration.Duration <= le.RenewDeadline.Duration || le.RenewDeadline.Duration <= le.RetryPeriod.Duration || le.RetryPeriod.Duration <= 0 {
				errs = append(errs, fmt.Errorf("leader election needs --leader-elect-lease-duration > --leader-elect-renew-deadline > --leader-elect-retry-period > 0"))
			}
		}
		if o.EventTTL <= 0 {
			errs = append(errs, fmt.Errorf("--event-ttl must be positive"))
		}
		errs = append(errs, validateStandaloneAdmission(o.RecommendedOptions.Admission)...)
	}
	return utilerrors.NewAggregate(errs)
}

// Config builds the server configuration: it locks the data dir, generates
// the certificates it needs, starts the embedded etcd (if any), opens the
// listeners and applies every option to a genericapiserver.RecommendedConfig.
func (o *WardleServerOptions) Config() (*apiserver.Config, error) {
	o.logMode()
	apiserver.BoundErrorLogs()
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating --data-dir: %w", err)
	}
	// Before anything else in the data dir: a second server must fail here,
	// at once, rather than block for ever on the embedded etcd's database
	// or race the first for the certificates. The lock is taken in every
	// mode, --etcd-servers too: the data dir still holds the generated
	// certificates and admin.kubeconfig, which two servers would overwrite
	// under each other (replicas share certificates through --cert-dir,
	// each with a data dir of its own).
	lock, err := datadir.Acquire(o.DataDir)
	if err != nil {
		return nil, err
	}
	config := &apiserver.Config{ExtraConfig: apiserver.ExtraConfig{DataDirLock: lock}}
	complete := false
	defer func() {
		if !complete {
			config.ExtraConfig.Close()
			if insecure := config.ExtraConfig.InsecureServing; insecure != nil {
				_ = insecure.Listener.Close()
			}
		}
	}()

	ca, err := o.ensureCertificates()
	if err != nil {
		return nil, err
	}

	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	serverConfig.BuildHandlerChainFunc = apiserver.BuildHandlerChain
	definitions, namer := wardleopenapi.GetOpenAPIDefinitions, openapi.NewDefinitionNamer(apiserver.Scheme)
	if o.standalone {
		definitions, namer = controlplane.OpenAPIDefinitions(definitions), openapi.NewDefinitionNamer(apiserver.Scheme, legacyscheme.Scheme)
	}
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(definitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "wardle-apiserver"
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(definitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "wardle-apiserver"
	if err := o.ServerRunOptions.ApplyTo(&serverConfig.Config); err != nil {
		return nil, err
	}
	serverConfig.EffectiveVersion = wardleversion.EffectiveVersion(serverConfig.EffectiveVersion)
	serverConfig.OpenAPIConfig.Info.Version = wardleversion.Wardle()
	serverConfig.OpenAPIV3Config.Info.Version = wardleversion.Wardle()

	config.GenericConfig = serverConfig

	if o.embeddedEtcd != nil {
		etcd, err := embeddedetcd.Start(context.Background(), o.embeddedEtcd)
		if err != nil {
			return nil, err
		}
		config.ExtraConfig.EmbeddedEtcd = etcd
	}

	// The wardle informers, for the admission plugins that read wardle
	// objects, list and watch through the loopback client, so they work in
	// both modes. The server starts them after it starts serving.
	o.RecommendedOptions.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		client, err := clientset.NewForConfig(c.LoopbackClientConfig)
		if err != nil {
			return nil, err
		}
		config.ExtraConfig.InformerFactory = informers.NewSharedInformerFactory(client, 0)
		return []admission.PluginInitializer{wardleinitializer.New(config.ExtraConfig.InformerFactory)}, nil
	}

	if err := o.applyEtcdDialerTo(serverConfig); err != nil {
		return nil, err
	}
	recommended := *o.RecommendedOptions
	if o.standalone {
		// The library's delegated authentication, authorization and
		// admission need a cluster, and its etcd options would store every
		// group with the wardle codec; applyStandaloneTo builds them from
		// the same options for a standalone control plane.
		recommended.Etcd, recommended.Authentication, recommended.Authorization, recommended.Admission = nil, nil, nil, nil
	}
	if err := recommended.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	if o.standalone {
		if err := o.applyStandaloneTo(serverConfig, &config.ExtraConfig); err != nil {
			return nil, err
		}
	} else if err := o.applyEtcdHealthTo(serverConfig, &config.ExtraConfig); err != nil {
		return nil, err
	}
	enabled, err := manager.Resolve(o.Controllers, manager.Names(o.standalone))
	if err != nil {
		return nil, err
	}
	config.ExtraConfig.Controllers = &manager.Config{
		KubeInformers:  serverConfig.SharedInformerFactory,
		Enabled:        enabled,
		LeaderElection: o.LeaderElection,
	}
	if !o.standalone {
		// The cluster's informers are not the server's own APIs.
		config.ExtraConfig.Controllers.KubeInformers = nil
		config.ExtraConfig.Controllers.LeaderElection.LeaderElect = false
	}

	insecure, err := o.InsecureServing.ApplyTo()
	if err != nil {
		return nil, err
	}
	if insecure != nil {
		config.ExtraConfig.InsecureServing = insecure
		serverConfig.Authentication.Authenticator = apiserver.WithInsecurePortAuthentication(serverConfig.Authentication.Authenticator)
	}

	if o.standalone {
		if err := o.writeAdminKubeconfig(ca); err != nil {
			return nil, err
		}
	}
	complete = true
	return config, nil
}

func (o *WardleServerOptions) logMode() {
	etcd := "external"
	if o.embeddedEtcd != nil {
		etcd = "embedded, data in " + o.embeddedEtcd.DataDir
	}
	mode := "aggregated (authentication and authorization delegated to the Kubernetes cluster)"
	if o.standalone {
		mode = "standalone (no Kubernetes cluster)"
	}
	klog.InfoS("Starting wardle-apiserver", "mode", mode, "etcd", etcd, "dataDir", o.DataDir)
}

// RunWardleServer runs the server until ctx ends.
func (o *WardleServerOptions) RunWardleServer(ctx context.Context) error {
	config, err := o.Config()
	if err != nil {
		return err
	}
	server, err := config.Complete().New()
	if err != nil {
		config.ExtraConfig.Close()
		return err
	}
	return server.PrepareRun().Run(ctx)
}
