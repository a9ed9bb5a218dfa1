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

	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/leaderelection"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

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
	// The library reads --secure-port 0 as "no secure serving"; this server
	// always serves HTTPS (its controllers and admission use the loopback
	// client it builds from it), so 0 would leave it without one.
	if ss := o.RecommendedOptions.SecureServing; ss.Listener == nil && ss.BindPort == 0 {
		errs = append(errs, fmt.Errorf("--secure-port must be a port between 1 and 65535: wardle-apiserver always serves HTTPS, and 0 would turn it off"))
	}
	switch o.RecommendedOptions.SecureServing.MinTLSVersion {
	case "VersionTLS10", "VersionTLS11":
		errs = append(errs, fmt.Errorf("--tls-min-version %s is too old: the minimum is VersionTLS12", o.RecommendedOptions.SecureServing.MinTLSVersion))
	}
	// What contradicts --mode (mode.go).
	errs = append(errs, o.validateMode()...)
	// Flags given that do nothing in this mode (see flag_modes.go).
	errs = append(errs, o.flagsWithoutEffect()...)
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	errs = append(errs, o.validateEtcd()...)
	errs = append(errs, manager.ValidateControllers(o.Controllers, o.standalone)...)
	if o.standalone {
		// Aggregated, the --leader-elect* flags are refused above.
		for _, err := range leaderelection.ValidateFlags(&o.LeaderElection) {
			errs = append(errs, err)
		}
		if o.EventTTL <= 0 {
			errs = append(errs, fmt.Errorf("--event-ttl must be positive"))
		}
		errs = append(errs, validateStandaloneAdmission(o.RecommendedOptions.Admission)...)
	}
	return utilerrors.NewAggregate(errs)
}

// validateEtcd refuses the flags of an external etcd with the embedded one,
// and those of the embedded etcd with --etcd-servers.
func (o *WardleServerOptions) validateEtcd() []error {
	var errs []error
	if o.embeddedEtcd == nil {
		for _, name := range embeddedetcd.FlagNames() {
			if o.userSet(name) {
				errs = append(errs, fmt.Errorf("--%s has no effect with --etcd-servers: it tunes the embedded etcd, which runs only without them", name))
			}
		}
		return errs
	}
	for _, name := range []string{"etcd-cafile", "etcd-certfile", "etcd-keyfile"} {
		if o.userSet(name) {
			errs = append(errs, fmt.Errorf("--%s is for an external etcd (--etcd-servers); the embedded etcd uses its own certificates in %s", name, o.embeddedEtcd.PKIDir))
		}
	}
	return append(errs, o.EmbeddedEtcd.Validate()...)
}
