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
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// A server runs in one of two modes: standalone, with no Kubernetes
// cluster (it authenticates, authorizes and serves Kubernetes' own APIs
// itself), or aggregated behind kube-apiserver, to which it delegates
// authentication and authorization. --mode chooses, or leaves the choice to
// Complete (auto): aggregated when a kubeconfig to a cluster is given or
// the server runs in one.
//
// In a pod, "runs in a cluster" is true whenever a service-account token is
// mounted, which is why the operator can say: --mode=standalone never reads
// the in-cluster configuration and never dials the cluster, and
// --mode=aggregated refuses to start without a cluster it can reach.
//
// Every place the server could reach a cluster, and why none of them runs
// in standalone mode:
//
//   - autoStandalone reads the in-cluster configuration: only for --mode=auto.
//   - The library's CoreAPIOptions.ApplyTo falls back to rest.InClusterConfig
//     without --kubeconfig: completeStandalone drops the CoreAPI options.
//   - The library's delegated authentication and authorization (TokenReview,
//     SubjectAccessReview, the extension-apiserver-authentication lookup)
//     fall back to rest.InClusterConfig without their kubeconfigs: Config
//     leaves them out in standalone mode and builds the standalone
//     authenticators and authorizers from their file-based fields only.
//   - Priority and fairness reads the flowcontrol API through the cluster's
//     client, and the library's admission webhooks and policies read
//     admissionregistration.k8s.io through it (the webhooks also call
//     rest.InClusterConfig for a webhook at kubernetes.default.svc): off in
//     standalone mode, and refused when asked for (flag_modes.go,
//     standalone_admission.go).
//   - client-go reads a webhook kubeconfig (--audit-webhook-config-file,
//     --authentication-token-webhook-config-file,
//     --authorization-webhook-config-file) through a loader that replaces an
//     empty one, or one equal to its defaults, with the in-cluster
//     configuration when it runs in a pod: validateStandaloneKubeconfigs
//     refuses such a file there.
//   - checkClusterReachable dials the cluster: only for --mode=aggregated.

// The values of --mode; standalone and aggregated also name the modes in
// messages.
const (
	modeAuto       = "auto"
	modeStandalone = "standalone"
	modeAggregated = "aggregated"
)

// modeValues are --mode's values, in the order messages list them.
var modeValues = []string{modeAuto, modeStandalone, modeAggregated}

// clusterCheckTimeout bounds checkClusterReachable: a cluster that has not
// answered GET /version by then is reported unreachable, rather than left
// to the library, whose lookups retry before they give up with a message
// about a ConfigMap that does not say which configuration pointed there.
const clusterCheckTimeout = 10 * time.Second

// inClusterConfig is rest.InClusterConfig; tests replace it to check when
// it is read.
var inClusterConfig = rest.InClusterConfig

// Standalone reports whether Complete chose standalone mode.
func (o *WardleServerOptions) Standalone() bool { return o.standalone }

// kubeconfigFlags are the flags that give a kubeconfig to a Kubernetes
// cluster, in the order messages name them.
var kubeconfigFlags = []string{"kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig"}

// givenKubeconfigs returns the flags of kubeconfigFlags that have a value,
// with "--", before Complete fills any in from another.
func (o *WardleServerOptions) givenKubeconfigs() []string {
	ro := o.RecommendedOptions
	values := map[string]string{
		"authentication-kubeconfig": ro.Authentication.RemoteKubeConfigFile,
		"authorization-kubeconfig":  ro.Authorization.RemoteKubeConfigFile,
	}
	if ro.CoreAPI != nil {
		values["kubeconfig"] = ro.CoreAPI.CoreAPIKubeconfigPath
	}
	var given []string
	for _, name := range kubeconfigFlags {
		if values[name] != "" {
			given = append(given, "--"+name)
		}
	}
	return given
}

// chooseMode sets o.standalone from --mode, and o.modeReason to why, for
// the log. It reads the in-cluster configuration only for --mode=auto.
func (o *WardleServerOptions) chooseMode() error {
	o.kubeconfigsGiven = o.givenKubeconfigs()
	switch o.Mode {
	case modeStandalone:
		o.standalone, o.modeReason = true, "chosen by --mode"
	case modeAggregated:
		o.standalone, o.modeReason = false, "chosen by --mode"
	case modeAuto:
		o.standalone, o.modeReason = o.autoStandalone()
	default:
		// No quotes: the log quotes the whole message, and would escape them.
		return fmt.Errorf("--mode=%s: the mode must be one of %s", o.Mode, strings.Join(modeValues, ", "))
	}
	return nil
}

// autoStandalone is --mode=auto's rule: aggregated when a kubeconfig to a
// Kubernetes cluster is given or the server runs in one, standalone
// otherwise. It returns the mode and why.
func (o *WardleServerOptions) autoStandalone() (bool, string) {
	if len(o.kubeconfigsGiven) > 0 {
		return false, "auto: " + strings.Join(o.kubeconfigsGiven, ", ") + " given"
	}
	config, err := inClusterConfig()
	if err == nil {
		return false, "auto: running in a Kubernetes cluster (in-cluster configuration for " + config.Host + ")"
	}
	return true, "auto: no --kubeconfig, --authentication-kubeconfig or --authorization-kubeconfig, and not in a cluster (" + err.Error() + ")"
}

// validateMode refuses what contradicts the mode --mode chose: a kubeconfig
// in standalone mode, and aggregated mode without a cluster.
func (o *WardleServerOptions) validateMode() []error {
	var errs []error
	switch o.Mode {
	case modeStandalone:
		for _, flag := range o.kubeconfigsGiven {
			errs = append(errs, fmt.Errorf("%s contradicts --mode=standalone: a standalone server talks to no Kubernetes cluster; "+
				"leave %s out, or use --mode=aggregated", flag, flag))
		}
	case modeAggregated:
		if _, err := o.clusterSources(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.standalone {
		errs = append(errs, o.validateStandaloneKubeconfigs()...)
	}
	return errs
}

// clusterSource is where the server's clients to the cluster get their
// configuration: a kubeconfig file, or the in-cluster configuration.
type clusterSource struct {
	// flag and path name the kubeconfig; both are empty for the in-cluster
	// configuration.
	flag, path string
	// uses are what the server reaches the cluster with it for.
	uses []string
	// inCluster is the in-cluster configuration, read once by clusterSources.
	inCluster *rest.Config
}

func (s clusterSource) String() string {
	if s.path == "" {
		return "the in-cluster configuration"
	}
	return s.flag + " " + s.path
}

// clusterSources returns, in aggregated mode after Complete, each distinct
// configuration the library will build a client to the cluster from, as
// the library chooses them: for the core API, delegated authentication and
// delegated authorization, its kubeconfig, or else the in-cluster
// configuration. It fails, naming what to give, if the in-cluster
// configuration is needed and there is none.
func (o *WardleServerOptions) clusterSources() ([]clusterSource, error) {
	ro := o.RecommendedOptions
	corePath := ""
	if ro.CoreAPI != nil {
		corePath = ro.CoreAPI.CoreAPIKubeconfigPath
	}
	var sources []clusterSource
	add := func(flag, path, use string) {
		for i := range sources {
			if sources[i].path == path {
				sources[i].uses = append(sources[i].uses, use)
				return
			}
		}
		switch path {
		case "":
			flag = ""
		case corePath:
			// completeAggregated filled it in from --kubeconfig.
			flag = "--kubeconfig"
		}
		sources = append(sources, clusterSource{flag: flag, path: path, uses: []string{use}})
	}
	add("--kubeconfig", corePath, "the core API")
	add("--authentication-kubeconfig", ro.Authentication.RemoteKubeConfigFile, "delegated authentication")
	add("--authorization-kubeconfig", ro.Authorization.RemoteKubeConfigFile, "delegated authorization")
	for i, s := range sources {
		if s.path != "" {
			continue
		}
		var err error
		if sources[i].inCluster, err = inClusterConfig(); err != nil {
			return nil, fmt.Errorf("--mode=aggregated needs a cluster: give --kubeconfig or run in a cluster "+
				"(%s would come from the in-cluster configuration, which is not available: %v)", strings.Join(s.uses, ", "), err)
		}
	}
	return sources, nil
}

// checkClusterReachable makes sure, once and within clusterCheckTimeout,
// that every cluster configuration of clusterSources answers GET /version,
// so that --mode=aggregated without a cluster fails at once and names what
// it could not reach.
func (o *WardleServerOptions) checkClusterReachable(ctx context.Context) error {
	sources, err := o.clusterSources()
	if err != nil {
		return err
	}
	for _, s := range sources {
		config, err := s.restConfig()
		if err != nil {
			return fmt.Errorf("--mode=aggregated: cannot load %s: %w", s, err)
		}
		if err := getVersion(ctx, config); err != nil {
			what := "cannot reach the Kubernetes API at"
			if isStatus(err) {
				// It answered, but not with its version (a credential it
				// refuses, say): the server could not use it either.
				what = "GET /version was refused by the Kubernetes API at"
			}
			return fmt.Errorf("--mode=aggregated: %s %s (from %s, for %s): %w",
				what, config.Host, s, strings.Join(s.uses, ", "), err)
		}
		klog.InfoS("Reached the Kubernetes API", "host", config.Host, "from", s.String())
	}
	return nil
}

// restConfig loads the configuration as the library does: a kubeconfig
// through client-go's deferred loader, or the in-cluster configuration.
func (s clusterSource) restConfig() (*rest.Config, error) {
	if s.path == "" {
		return s.inCluster, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: s.path}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
}

// getVersion sends one GET /version, with no retries, bounded by
// clusterCheckTimeout.
func getVersion(ctx context.Context, config *rest.Config) error {
	config = rest.CopyConfig(config)
	config.Timeout = clusterCheckTimeout
	client, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, clusterCheckTimeout)
	defer cancel()
	return client.RESTClient().Get().AbsPath("/version").MaxRetries(0).Do(ctx).Error()
}

// isStatus reports whether err is an answer of the API server, not a
// failure to get one.
func isStatus(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// validateStandaloneKubeconfigs refuses, in standalone mode in a pod, a
// webhook kubeconfig that client-go would replace with the in-cluster
// configuration: the library loads them with client-go's deferred loader,
// which does that to a kubeconfig that is empty or equal to its defaults
// whenever KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set and
// a service-account token is mounted. A standalone server must not send
// its audit events, TokenReviews or SubjectAccessReviews to the cluster
// it runs in by accident. Other loading errors are left to the library,
// which reports them where it loads the file.
func (o *WardleServerOptions) validateStandaloneKubeconfigs() []error {
	if !inClusterPossible() {
		return nil
	}
	var errs []error
	for _, f := range []struct{ flag, path string }{
		{"--audit-webhook-config-file", o.RecommendedOptions.Audit.WebhookOptions.ConfigFile},
		{"--authentication-token-webhook-config-file", o.StandaloneAuthentication.WebhookConfigFile},
		{"--authorization-webhook-config-file", o.StandaloneAuthorization.WebhookConfigFile},
	} {
		if f.path != "" && fallsBackToInCluster(f.path) {
			errs = append(errs, fmt.Errorf("%s %s names no server of its own (it is empty, or holds only client-go's defaults), "+
				"so client-go would use the in-cluster configuration instead, which a standalone server never uses", f.flag, f.path))
		}
	}
	return errs
}

// serviceAccountTokenFile is where client-go reads the in-cluster
// configuration's token.
const serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// inClusterPossible is client-go's test for whether its deferred loader
// may use the in-cluster configuration: the two variables are set and a
// token file exists. It reads neither the token nor anything else. Tests
// replace it.
var inClusterPossible = func() bool {
	if os.Getenv("KUBERNETES_SERVICE_HOST") == "" || os.Getenv("KUBERNETES_SERVICE_PORT") == "" {
		return false
	}
	fi, err := os.Stat(serviceAccountTokenFile)
	return err == nil && !fi.IsDir()
}

// fallsBackToInCluster reports whether client-go's deferred loader, as
// webhook.LoadKubeconfig uses it, would replace the kubeconfig at path
// with the in-cluster configuration if one were possible.
func fallsBackToInCluster(path string) bool {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	raw, err := rules.Load()
	if err != nil {
		return false
	}
	config, err := clientcmd.NewNonInteractiveClientConfig(*raw, "", &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return clientcmd.IsEmptyConfig(err)
	}
	return rules.IsDefaultConfig(config)
}

// logMode logs the mode, why it was chosen, the etcd and the data dir,
// first thing at start.
func (o *WardleServerOptions) logMode() {
	etcd := "external"
	if o.embeddedEtcd != nil {
		etcd = "embedded, data in " + o.embeddedEtcd.DataDir
	}
	mode := "aggregated (authentication and authorization delegated to the Kubernetes cluster)"
	if o.standalone {
		mode = "standalone (no Kubernetes cluster)"
	}
	klog.InfoS("Starting wardle-apiserver", "mode", mode, "why", o.modeReason, "etcd", etcd, "dataDir", o.DataDir)
}
