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
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// clockTicksPerSecond is USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat (what `getconf CLK_TCK` prints). The kernel reports
// these times in USER_HZ whatever its internal HZ, and USER_HZ is 100 on
// every architecture Linux and Go share, so it is a constant here rather
// than a call into libc.
const clockTicksPerSecond = 100

// procRoot is where /proc is; tests point it elsewhere.
var procRoot = "/proc"

// cpuTicks returns the user plus system CPU time of pid, in clock ticks.
func cpuTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procRoot, pid))
	if err != nil {
		return 0, err
	}
	return parseStatTicks(data)
}

// parseStatTicks reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name (field 2, in parentheses) may
// hold spaces and parentheses, so fields are counted from the last ')'.
func parseStatTicks(data []byte) (uint64, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat: no ')'")
	}
	// After ')': state is field 3, so utime (14) and stime (15) are the
	// 12th and 13th.
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("malformed stat: %d fields after the command", len(fields))
	}
	utime, err := strconv.ParseUint(fields[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed stat utime: %w", err)
	}
	stime, err := strconv.ParseUint(fields[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed stat stime: %w", err)
	}
	return utime + stime, nil
}

// ResidentSetSize returns the resident set size (VmRSS) of pid, in bytes.
func ResidentSetSize(pid int) (int64, error) {
	_, rss, err := memory(pid)
	return rss, err
}

// memory returns VmHWM (peak RSS) and VmRSS of pid, in bytes.
func memory(pid int) (hwm, rss int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/status", procRoot, pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatusMemory(data)
}

func parseStatusMemory(data []byte) (hwm, rss int64, err error) {
	var foundHWM, foundRSS bool
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		key, value, ok := strings.Cut(s.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		// "   123456 kB"
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("malformed status %s: %q", key, value)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed status %s: %w", key, err)
		}
		if key == "VmHWM" {
			hwm, foundHWM = kb*1024, true
		} else {
			rss, foundRSS = kb*1024, true
		}
	}
	if !foundHWM || !foundRSS {
		// Kernel threads and zombies have no memory lines.
		return 0, 0, fmt.Errorf("status has no VmHWM and VmRSS")
	}
	return hwm, rss, nil
}

// usageMeter measures the CPU time of processes over the measured phase
// and their memory at its end. A process that cannot be read (it exited,
// or /proc is missing) is left out of the usage and reported as an error
// message instead.
type usageMeter struct {
	procs  map[string]int
	before map[string]uint64
	errs   *errorLog
}

func startUsage(procs map[string]int, errs *errorLog) *usageMeter {
	m := &usageMeter{procs: procs, before: map[string]uint64{}, errs: errs}
	for _, name := range sortedKeys(procs) {
		pid := procs[name]
		t, err := cpuTicks(pid)
		if err != nil {
			errs.note(fmt.Sprintf("usage of %s (pid %d): %v", name, pid, err))
			continue
		}
		m.before[name] = t
	}
	return m
}

func (m *usageMeter) stop() map[string]ProcessUsage {
	if len(m.procs) == 0 {
		return nil
	}
	usage := map[string]ProcessUsage{}
	for _, name := range sortedKeys(m.procs) {
		pid := m.procs[name]
		before, ok := m.before[name]
		if !ok {
			continue // already reported
		}
		after, err := cpuTicks(pid)
		if err == nil && after < before {
			err = fmt.Errorf("CPU time went down (%d to %d ticks): the pid was reused", before, after)
		}
		if err == nil {
			var hwm, rss int64
			if hwm, rss, err = memory(pid); err == nil {
				usage[name] = ProcessUsage{
					CPUSeconds:   float64(after-before) / clockTicksPerSecond,
					PeakRSSBytes: hwm,
					RSSBytes:     rss,
				}
				continue
			}
		}
		m.errs.note(fmt.Sprintf("usage of %s (pid %d): %v", name, pid, err))
	}
	return usage
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
