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
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestInsecureServingDefaults(t *testing.T) {
	o := NewInsecureServingOptions()
	if !o.BindAddress.Equal(net.ParseIP("127.0.0.1")) || o.BindPort != 0 || o.Listener != nil {
		t.Errorf("defaults = %+v, want 127.0.0.1, port 0, no listener", o)
	}
	if o.Enabled() {
		t.Error("the insecure port is on by default")
	}
	if errs := o.Validate(); len(errs) != 0 {
		t.Errorf("defaults do not validate: %v", errs)
	}
}

func TestInsecureServingFlags(t *testing.T) {
	o := NewInsecureServingOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--insecure-port=8081", "--insecure-bind-address=::1"}); err != nil {
		t.Fatal(err)
	}
	if o.BindPort != 8081 || !o.BindAddress.Equal(net.IPv6loopback) {
		t.Errorf("parsed %+v", o)
	}
	if !o.Enabled() {
		t.Error("not enabled with a port")
	}
}

func TestInsecureServingValidate(t *testing.T) {
	tests := []struct {
		addr     string
		port     int
		wantErrs []string // substrings, one per expected error
	}{
		{addr: "127.0.0.1", port: 0},
		{addr: "127.0.0.1", port: 8080},
		{addr: "127.0.0.1", port: 65535},
		{addr: "127.1.2.3", port: 1},
		{addr: "::1", port: 8080},
		{addr: "0.0.0.0", port: 8080, wantErrs: []string{"--insecure-bind-address 0.0.0.0 is not a loopback"}},
		{addr: "::", port: 8080, wantErrs: []string{"is not a loopback"}},
		{addr: "10.0.0.1", port: 8080, wantErrs: []string{"--insecure-bind-address 10.0.0.1 is not a loopback"}},
		// The address is checked even while the port is off, so that
		// turning the port on later cannot expose it.
		{addr: "10.0.0.1", port: 0, wantErrs: []string{"is not a loopback"}},
		{addr: "", port: 8080, wantErrs: []string{"is not a loopback"}},
		{addr: "127.0.0.1", port: -1, wantErrs: []string{"--insecure-port -1 must be between 0 and 65535"}},
		{addr: "127.0.0.1", port: 65536, wantErrs: []string{"--insecure-port 65536 must be between 0 and 65535"}},
		{addr: "0.0.0.0", port: 70000, wantErrs: []string{"--insecure-port 70000", "is not a loopback"}},
	}
	for _, tc := range tests {
		t.Run(net.JoinHostPort(tc.addr, strconv.Itoa(tc.port)), func(t *testing.T) {
			o := &InsecureServingOptions{BindAddress: net.ParseIP(tc.addr), BindPort: tc.port}
			errs := o.Validate()
			if len(errs) != len(tc.wantErrs) {
				t.Fatalf("got errors %v, want %d", errs, len(tc.wantErrs))
			}
			for i, want := range tc.wantErrs {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], want)
				}
			}
		})
	}
}

// fakeListener is a net.Listener that reports an address and accepts nothing.
type fakeListener struct {
	addr   net.Addr
	closed bool
}

func (l *fakeListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (l *fakeListener) Close() error              { l.closed = true; return nil }
func (l *fakeListener) Addr() net.Addr            { return l.addr }

func TestInsecureServingApplyTo(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		o := NewInsecureServingOptions()
		info, err := o.Listen()
		if err != nil || info != nil {
			t.Errorf("ApplyTo() = %v, %v; want nil, nil", info, err)
		}
		if o.Listener != nil {
			t.Error("a listener was opened while off")
		}
	})
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run("loopback listener "+ip, func(t *testing.T) {
			l := &fakeListener{addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 1234}}
			o := &InsecureServingOptions{BindAddress: net.ParseIP("127.0.0.1"), Listener: l}
			if !o.Enabled() {
				t.Fatal("a given listener does not turn the port on")
			}
			info, err := o.Listen()
			if err != nil {
				t.Fatal(err)
			}
			if info == nil || info.Listener != l {
				t.Fatalf("ApplyTo() = %+v, want the given listener", info)
			}
			if info.Name == "" {
				t.Error("the serving info has no name")
			}
		})
	}
	for name, addr := range map[string]net.Addr{
		"non-loopback listener": &net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1234},
		"unspecified listener":  &net.TCPAddr{IP: net.IPv4zero, Port: 1234},
		"unix listener":         &net.UnixAddr{Name: "/tmp/sock", Net: "unix"},
	} {
		t.Run(name, func(t *testing.T) {
			o := &InsecureServingOptions{BindAddress: net.ParseIP("127.0.0.1"), Listener: &fakeListener{addr: addr}}
			info, err := o.Listen()
			if err == nil || info != nil {
				t.Errorf("ApplyTo() = %v, %v; want an error", info, err)
			}
		})
	}
}
