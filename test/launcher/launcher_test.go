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

package launcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeEnv makes the test binary a server that fails at once, the way its
// value says (see TestMain): the tests below check what launch makes of
// that without building the real server. The consumer modules' tests start
// the real one.
const fakeEnv = "LAUNCHER_TEST_FAKE_SERVER"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeEnv) {
	case "":
		os.Exit(m.Run())
	case "port-taken":
		fmt.Fprintln(os.Stderr, "Error: failed to create listener: listen tcp 127.0.0.1:1: bind: address already in use")
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "Error: something else went wrong")
		os.Exit(3)
	}
}

func TestLaunchReportsAnEarlyExit(t *testing.T) {
	t.Setenv(fakeEnv, "fail")
	_, err := launch(t, os.Args[0], nil)
	if err == nil || errors.Is(err, errPortInUse) {
		t.Fatalf("launch: got %v, want an error that is not errPortInUse", err)
	}
	// The error says the server exited, how, and quotes its log.
	for _, want := range []string{"exited before it was ready", "exit status 3", "something else went wrong"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("launch error %q does not contain %q", err, want)
		}
	}
}

func TestLaunchRecognisesATakenPort(t *testing.T) {
	t.Setenv(fakeEnv, "port-taken")
	if _, err := launch(t, os.Args[0], nil); !errors.Is(err, errPortInUse) {
		t.Fatalf("launch: got %v, want errPortInUse (Start retries on another port)", err)
	}
}

func TestCheckoutRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := checkoutRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The test runs in test/launcher of the checkout.
	if got := filepath.Join(root, "test", "launcher"); got != wd {
		t.Errorf("checkoutRoot() = %s, want the checkout two levels above %s", root, wd)
	}
}
