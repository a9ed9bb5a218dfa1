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
	"fmt"
	"sort"

	"github.com/spf13/pflag"

	"github.com/wardle-example/wardle-apiserver/pkg/auth/standalone"
)

// No flag is parsed and then ignored: a flag the user gives that does
// nothing in the mode in effect is refused by Validate, with an error naming
// the flag and the mode. Every other flag acts in both modes. The lists
// below are the exceptions; flags_test.go walks every flag of the command,
// in both modes, against a table that must classify each one.
//
// Whether the user gave a flag is read from the command's FlagSet
// (pflag's Changed), not by comparing values with defaults: a default given
// explicitly (--authentication-token-webhook-version=v1) is still a flag
// given to no purpose, and defaults that Complete fills in by mode (the
// client CA, the signing key, priority and fairness) would otherwise look
// like user choices.

// Why the flags of a mode do nothing in the other.
const (
	whyStandaloneAuth = "with a Kubernetes cluster, kube-apiserver authenticates and authorizes: it sends " +
		"authentication.k8s.io/v1 TokenReviews and authorization.k8s.io/v1 SubjectAccessReviews"
	whyStandaloneControllers = "with a Kubernetes cluster, the cluster keeps events and wardle-controller --leader-elect runs the controllers"
	whyLookup                = "a standalone server has no cluster to look authentication configuration up in"
)

// aggregatedOnlyFlags act only with a Kubernetes cluster; the value says why.
var aggregatedOnlyFlags = map[string]string{
	"authentication-skip-lookup":             whyLookup,
	"authentication-tolerate-lookup-failure": whyLookup,
	"enable-priority-and-fairness": "priority and fairness reads its configuration from the flowcontrol API of a Kubernetes cluster; " +
		"standalone servers limit load with --max-requests-inflight and --max-mutating-requests-inflight",
}

// noEffectFlags are registered by the library's options but act in neither
// mode; the value says why.
var noEffectFlags = map[string]string{
	"etcd-servers-overrides": "every resource of this server is stored in the etcd of --etcd-servers, or the embedded one",
	"default-watch-cache-size": "watch caches are sized automatically (the library made this flag a no-op); " +
		"--watch-cache-sizes=resource.group#0 turns one off",
	"emulation-forward-compatible":                "this server enables or removes no API by emulation version",
	"runtime-config-emulation-forward-compatible": "this server has no --runtime-config and enables or removes no API by emulation version",
}

// standaloneOnlyFlags act only without a Kubernetes cluster; the value says
// why. Every flag of the standalone authentication, authorization and
// service-account options is one: the names are read from their AddFlags,
// so a flag added there cannot be forgotten here.
func standaloneOnlyFlags() map[string]string {
	flags := map[string]string{"event-ttl": whyStandaloneControllers}
	fs := pflag.NewFlagSet("standalone", pflag.ContinueOnError)
	standalone.NewAuthenticationOptions().AddFlags(fs)
	standalone.NewAuthorizationOptions().AddFlags(fs)
	standalone.NewServiceAccountOptions().AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) { flags[f.Name] = whyStandaloneAuth })
	leaderElection := pflag.NewFlagSet("leader election", pflag.ContinueOnError)
	(&WardleServerOptions{}).addLeaderElectionFlags(leaderElection)
	leaderElection.VisitAll(func(f *pflag.Flag) { flags[f.Name] = whyStandaloneControllers })
	return flags
}

// flagsWithoutEffect returns an error for every flag the user gave that
// does nothing in the mode in effect (the one --mode chose, or auto's
// choice), in flag-name order.
func (o *WardleServerOptions) flagsWithoutEffect() []error {
	if o.flags == nil {
		return nil
	}
	mode, other := modeStandalone, modeAggregated
	otherOnly := aggregatedOnlyFlags
	if !o.standalone {
		mode, other = modeAggregated, modeStandalone
		otherOnly = standaloneOnlyFlags()
	}
	var names []string
	o.flags.Visit(func(f *pflag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		if why, ok := otherOnly[name]; ok {
			errs = append(errs, fmt.Errorf("--%s has no effect in %s mode (it applies to %s mode only: %s)", name, mode, other, why))
		} else if why, ok := noEffectFlags[name]; ok {
			errs = append(errs, fmt.Errorf("--%s has no effect in %s mode (nor in %s mode: %s)", name, mode, other, why))
		}
	}
	return errs
}
