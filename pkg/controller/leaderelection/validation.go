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

package leaderelection

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/validation"
)

// leaderElectFlags maps each field of LeaderElectionConfiguration, as
// component-base's validation names it, to the flag
// k8s.io/component-base/config/options.BindLeaderElectionFlags binds it to:
// users give flags, not a configuration file.
var leaderElectFlags = map[string]string{
	"leaseDuration":     "--leader-elect-lease-duration",
	"renewDeadline":     "--leader-elect-renew-deadline",
	"retryPeriod":       "--leader-elect-retry-period",
	"resourceLock":      "--leader-elect-resource-lock",
	"resourceName":      "--leader-elect-resource-name",
	"resourceNamespace": "--leader-elect-resource-namespace",
}

// fieldValue is the value of c's field called name, as its flag reads.
func fieldValue(c *componentbaseconfig.LeaderElectionConfiguration, name string) any {
	switch name {
	case "leaseDuration":
		return c.LeaseDuration.Duration.String()
	case "renewDeadline":
		return c.RenewDeadline.Duration.String()
	case "retryPeriod":
		return c.RetryPeriod.Duration.String()
	case "resourceLock":
		return c.ResourceLock
	case "resourceName":
		return c.ResourceName
	case "resourceNamespace":
		return c.ResourceNamespace
	}
	return nil
}

// goFieldFlags replaces the Go field names component-base's messages
// quote with their flags.
var goFieldFlags = strings.NewReplacer(
	"`LeaseDuration`", "--leader-elect-lease-duration",
	"`RenewDeadline`", "--leader-elect-renew-deadline",
	"`RetryPeriod`", "--leader-elect-retry-period",
)

// ValidateFlags checks c, set by the --leader-elect* flags, for what Run
// needs, and names the flags in its errors. It is component-base's
// ValidateLeaderElectionConfiguration plus the two rules client-go's
// leader election adds and component-base does not check: the lock is a
// Lease (client-go has no other kind any more), and the renew deadline
// exceeds the retry period times client-go's jitter factor (NewLeaderElector
// refuses it otherwise, which would only show once the process runs).
func ValidateFlags(c *componentbaseconfig.LeaderElectionConfiguration) field.ErrorList {
	if !c.LeaderElect {
		return nil
	}
	// A nil root path: each error's Field is the bare field name.
	errs := validation.ValidateLeaderElectionConfiguration(c, nil)
	for _, e := range errs {
		flag, ok := leaderElectFlags[e.Field]
		if !ok {
			continue
		}
		if e.Type == field.ErrorTypeInvalid {
			// component-base reports the renew deadline as the lease
			// duration's value when the one exceeds the other; show each
			// flag's own.
			e.BadValue = fieldValue(c, e.Field)
		}
		e.Field = flag
		e.Detail = goFieldFlags.Replace(e.Detail)
	}
	if c.ResourceLock != "" && c.ResourceLock != resourcelock.LeasesResourceLock {
		errs = append(errs, field.NotSupported(field.NewPath(leaderElectFlags["resourceLock"]), c.ResourceLock,
			[]string{resourcelock.LeasesResourceLock}))
	}
	if retry, renew := c.RetryPeriod.Duration, c.RenewDeadline.Duration; retry > 0 && renew > 0 &&
		renew <= time.Duration(leaderelection.JitterFactor*float64(retry)) {
		errs = append(errs, field.Invalid(field.NewPath(leaderElectFlags["renewDeadline"]), renew.String(),
			fmt.Sprintf("must be greater than --leader-elect-retry-period (%s) times %g, client-go's jitter factor", retry, leaderelection.JitterFactor)))
	}
	return errs
}
