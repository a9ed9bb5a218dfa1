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

// fakeProc points procRoot at a temporary directory for the test and
// returns a function that writes a file of a pid's entry there.
func fakeProc(t *testing.T) (write func(pid, name, content string), root string) {
	t.Helper()
	root = t.TempDir()
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
	return func(pid, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, pid, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}, root
}

// statLine is a /proc/<pid>/stat line (all 52 fields) with the given
// command, utime and stime.
func statLine(pid, comm, utime, stime string) string {
	return pid + " (" + comm + ") S 1 " + pid + " " + pid + " 0 -1 4194560 1234 0 0 0 " + utime + " " + stime +
		" 0 0 20 0 12 0 100 2000000 3000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0" +
		" 0 0 0 0 0 0 0\n"
}

func TestReadProc(t *testing.T) {
	write, _ := fakeProc(t)
	// The command may hold spaces and parentheses.
	write("4242", "stat", statLine("4242", "my (odd) cmd", "250", "75"))
	write("4242", "status", "Name:\tcat\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t1\n")
	if got, err := cpuTicks(4242); err != nil || got != 325 {
		t.Errorf("cpuTicks = %d, %v; want 325", got, err)
	}
	hwm, rss, err := memory(4242)
	if err != nil || hwm != 2048*1024 || rss != 1024*1024 {
		t.Errorf("memory = %d, %d, %v; want 2 MiB, 1 MiB", hwm, rss, err)
	}

	// A kernel thread has no memory lines; a malformed stat is an error.
	write("2", "stat", "2 (kthreadd) S 1 2")
	write("2", "status", "Name:\tkthreadd\n")
	if _, err := cpuTicks(2); err == nil {
		t.Error("cpuTicks of a malformed stat passed")
	}
	if _, _, err := memory(2); err == nil {
		t.Error("memory of a status without VmHWM and VmRSS passed")
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
	write, root := fakeProc(t)
	write("7", "stat", statLine("7", "srv", "100", "0"))
	write("7", "status", "VmHWM:\t4096 kB\nVmRSS:\t2048 kB\n")
	write("8", "stat", statLine("8", "srv", "100", "0")) // exits during the workload

	var errs errorLog
	m := startUsage(map[string]int{"srv": 7, "exits": 8, "never": 9}, &errs)
	write("7", "stat", statLine("7", "srv", "350", "0"))
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
