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

package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseStatTicks(t *testing.T) {
	// The command may hold spaces and parentheses.
	stat := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 100 2000000 3000 " +
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseStatTicks([]byte(stat))
	if err != nil || got != 325 {
		t.Errorf("parseStatTicks = %d, %v; want 325", got, err)
	}
	for _, bad := range []string{"", "4242 (cmd", "4242 (cmd) S 1 2", "4242 (cmd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 x 75 0"} {
		if _, err := parseStatTicks([]byte(bad)); err == nil {
			t.Errorf("parseStatTicks(%q) passed", bad)
		}
	}
}

func TestParseStatusMemory(t *testing.T) {
	status := "Name:\tcat\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t1\n"
	hwm, rss, err := parseStatusMemory([]byte(status))
	if err != nil || hwm != 2048*1024 || rss != 1024*1024 {
		t.Errorf("parseStatusMemory = %d, %d, %v; want 2 MiB, 1 MiB", hwm, rss, err)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmHWM:\t2048 kB\n", "VmHWM:\t2048 MB\nVmRSS:\t1 kB\n", "VmHWM:\tx kB\nVmRSS:\t1 kB\n"} {
		if _, _, err := parseStatusMemory([]byte(bad)); err == nil {
			t.Errorf("parseStatusMemory(%q) passed", bad)
		}
	}
}

func TestUsageOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	var errs errorLog
	m := startUsage(map[string]int{"self": os.Getpid()}, &errs)
	// Burn some CPU.
	x := 0
	for i := range 200_000_000 {
		x += i % 7
	}
	_ = x
	u := m.stop()["self"]
	if u.PeakRSSBytes <= 0 || u.RSSBytes <= 0 || u.RSSBytes > u.PeakRSSBytes || u.CPUSeconds <= 0 {
		t.Errorf("usage = %+v", u)
	}
	if errs.count() != 0 || len(errs.messages()) != 0 {
		t.Errorf("errors %q", errs.messages())
	}
}

func TestUsageOfMissingProcess(t *testing.T) {
	root := t.TempDir()
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
	write := func(pid, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, pid, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stat := func(ticks string) string {
		return "7 (srv) S 1 7 7 0 -1 0 0 0 0 0 " + ticks + " 0 0 0 20 0 1 0 1 1 1\n"
	}
	write("7", "stat", stat("100"))
	write("7", "status", "VmHWM:\t4096 kB\nVmRSS:\t2048 kB\n")
	write("8", "stat", stat("100")) // exits during the workload

	var errs errorLog
	m := startUsage(map[string]int{"srv": 7, "exits": 8, "never": 9}, &errs)
	write("7", "stat", stat("350"))
	if err := os.RemoveAll(filepath.Join(root, "8")); err != nil {
		t.Fatal(err)
	}
	usage := m.stop()

	want := ProcessUsage{CPUSeconds: 2.5, PeakRSSBytes: 4 << 20, RSSBytes: 2 << 20}
	if len(usage) != 1 || usage["srv"] != want {
		t.Errorf("usage = %+v, want only srv %+v", usage, want)
	}
	msgs := errs.messages()
	if errs.count() != 0 || len(msgs) != 2 ||
		!strings.Contains(msgs[0], "never (pid 9)") || !strings.Contains(msgs[1], "exits (pid 8)") {
		t.Errorf("error count %d, messages %q; want messages about never and exits", errs.count(), msgs)
	}
}
