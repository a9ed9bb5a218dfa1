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
	"testing"
)

// TestSnapshotFlagsNeedInterval: the retention and the directory of
// scheduled snapshots do nothing while they are off, so they are refused
// without --embedded-etcd-snapshot-interval, even at their defaults.
func TestSnapshotFlagsNeedInterval(t *testing.T) {
	for _, flag := range []string{"--embedded-etcd-snapshot-retention=5", "--embedded-etcd-snapshot-dir=/tmp/snapshots"} {
		name, _, _ := strings.Cut(flag, "=")
		err := parsedOptions(t, flag).Validate()
		if want := name + " has no effect without --embedded-etcd-snapshot-interval"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s alone: want %q, got %v", flag, want, err)
		}
		if err := parsedOptions(t, flag, "--embedded-etcd-snapshot-interval=1h").Validate(); err != nil {
			t.Errorf("%s with an interval: %v", flag, err)
		}
	}
	if err := parsedOptions(t, "--embedded-etcd-snapshot-interval=0").Validate(); err != nil {
		t.Errorf("--embedded-etcd-snapshot-interval=0 turns them off, as the default does: %v", err)
	}
}
