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
	"net"
	"strconv"

	"github.com/spf13/pflag"
	genericapiserver "k8s.io/apiserver/pkg/server"
	netutils "k8s.io/utils/net"
)

// InsecureServingOptions configure the optional plain-HTTP port. It exists
// for local use (kubectl -s http://127.0.0.1:PORT), binds loopback only, and
// every request on it acts as a privileged local admin.
type InsecureServingOptions struct {
	// BindAddress must be a loopback address.
	BindAddress net.IP
	// BindPort is the port; 0 turns the insecure port off.
	BindPort int
	// Listener, if set, is used instead of BindAddress and BindPort. Tests
	// use it to serve on a random port.
	Listener net.Listener
}

// NewInsecureServingOptions returns the defaults: off, and 127.0.0.1 when on.
func NewInsecureServingOptions() *InsecureServingOptions {
	return &InsecureServingOptions{BindAddress: netutils.ParseIPSloppy("127.0.0.1")}
}

// AddFlags adds --insecure-port and --insecure-bind-address.
func (o *InsecureServingOptions) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.BindPort, "insecure-port", o.BindPort, ""+
		"If non-zero, also serve the API over plain HTTP on this port, on --insecure-bind-address. "+
		"There is no authentication there: every request acts as a privileged local admin (group system:masters). "+
		"For local use only; 0 turns it off.")
	fs.IPVar(&o.BindAddress, "insecure-bind-address", o.BindAddress, ""+
		"The loopback address the insecure port binds to. Any non-loopback address is refused.")
}

// Validate refuses a port out of range and any non-loopback address.
func (o *InsecureServingOptions) Validate() []error {
	var errs []error
	if o.BindPort < 0 || o.BindPort > 65535 {
		errs = append(errs, fmt.Errorf("--insecure-port %d must be between 0 and 65535, inclusive; 0 turns it off", o.BindPort))
	}
	if o.BindAddress == nil || !o.BindAddress.IsLoopback() {
		errs = append(errs, fmt.Errorf("--insecure-bind-address %v is not a loopback address: the insecure port has no authentication and binds loopback only", o.BindAddress))
	}
	return errs
}

// Enabled reports whether the insecure port is on.
func (o *InsecureServingOptions) Enabled() bool {
	return o.BindPort > 0 || o.Listener != nil
}

// Listen opens the insecure listener (unless one is given), or returns nil
// when it is off. The caller closes the listener.
func (o *InsecureServingOptions) Listen() (*genericapiserver.DeprecatedInsecureServingInfo, error) {
	if !o.Enabled() {
		return nil, nil
	}
	if o.Listener == nil {
		addr := net.JoinHostPort(o.BindAddress.String(), strconv.Itoa(o.BindPort))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listening on the insecure port %s: %w", addr, err)
		}
		o.Listener = l
	}
	if addr, ok := o.Listener.Addr().(*net.TCPAddr); !ok || !addr.IP.IsLoopback() {
		return nil, fmt.Errorf("the insecure listener %v is not on a loopback address", o.Listener.Addr())
	}
	return &genericapiserver.DeprecatedInsecureServingInfo{Listener: o.Listener, Name: "insecure (loopback, local admin)"}, nil
}
