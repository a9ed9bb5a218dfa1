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
	"strings"

	"github.com/spf13/pflag"

	cliflag "k8s.io/component-base/cli/flag"
	componentbaseoptions "k8s.io/component-base/config/options"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
)

// Flags returns the flags in named sections, for --help.
func (o *WardleServerOptions) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets

	fs := fss.FlagSet("wardle")
	fs.StringVar(&o.Mode, "mode", o.Mode, ""+
		"How the server runs: 'standalone' (no Kubernetes cluster: it authenticates, authorizes and serves Kubernetes' own APIs itself; "+
		"it never reads the in-cluster configuration, even in a pod, and refuses the kubeconfig flags), "+
		"'aggregated' (behind kube-apiserver, to which it delegates authentication and authorization, through --kubeconfig or the in-cluster configuration; "+
		"it refuses to start when that cluster does not answer), or "+
		"'auto': aggregated when --kubeconfig, --authentication-kubeconfig or --authorization-kubeconfig is given or the in-cluster configuration exists "+
		"(in a pod, a mounted service-account token), standalone otherwise.")
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
	etcdFlags := fss.FlagSet("etcd")
	etcdFlags.Lookup("etcd-readycheck-timeout").Usage = "How long etcd may go without answering the server's health probe " +
		"(a linearizable read under --etcd-prefix, twice a second) before /readyz fails and requests that need etcd get a 503 at once. " +
		"A request already waiting on etcd is not cancelled: it waits for its own timeout. Longer than an election or a defragmentation takes."
	etcdFlags.Lookup("etcd-healthcheck-timeout").Usage = "How long etcd may go without answering the server's health probe before /healthz fails " +
		"(/livez never includes etcd)."
	o.EmbeddedEtcd.AddFlags(fss.FlagSet("embedded etcd"))
	o.EmbeddedEtcd.AddSnapshotFlags(fss.FlagSet("embedded etcd"))
	ro.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	// The library's text says the flag is ignored with --tls-cert-file; here
	// the dir also holds the CA and the service-account key.
	fss.FlagSet("secure serving").Lookup("cert-dir").Usage = "Directory of the CA (ca.crt, ca.key; in standalone mode also the client CA), " +
		"the serving certificate (apiserver.crt, apiserver.key; unless --tls-cert-file is given), in standalone mode the service-account key (sa.key) " +
		"and, when it holds etcd/ca.crt and etcd/ca.key, the CA the embedded etcd issues its certificates from (into <data-dir>/pki/etcd). " +
		"Default: <data-dir>/pki, which the server fills and renews itself. A dir given here is used as it is: what is missing is made, " +
		"nothing there is replaced or renewed, so replicas can share one that `wardle-apiserver pki create` made, read-only."
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
