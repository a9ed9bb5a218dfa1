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
	"fmt"
	"sort"

	"github.com/prometheus/procfs"
)

// clockTicksPerSecond is USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat (what `getconf CLK_TCK` prints, and what procfs's
// ProcStat.CPUTime divides by). The kernel reports these times in USER_HZ
// whatever its internal HZ, and USER_HZ is 100 on every architecture Linux
// and Go share. CPU time is kept in whole ticks until the difference over
// the measured phase is taken, so that the report holds exact figures.
const clockTicksPerSecond = 100

// procRoot is where /proc is; tests point it elsewhere.
var procRoot = procfs.DefaultMountPoint

// proc returns pid's entry in procRoot.
func proc(pid int) (procfs.Proc, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return procfs.Proc{}, err
	}
	return fs.Proc(pid)
}

// cpuTicks returns the user plus system CPU time of pid
// (/proc/<pid>/stat), in clock ticks.
func cpuTicks(pid int) (uint64, error) {
	p, err := proc(pid)
	if err != nil {
		return 0, err
	}
	stat, err := p.Stat()
	if err != nil {
		return 0, err
	}
	return uint64(stat.UTime) + uint64(stat.STime), nil
}

// ResidentSetSize returns the resident set size (VmRSS) of pid, in bytes.
func ResidentSetSize(pid int) (int64, error) {
	_, rss, err := memory(pid)
	return rss, err
}

// memory returns VmHWM (peak RSS) and VmRSS of pid (/proc/<pid>/status),
// in bytes.
func memory(pid int) (hwm, rss int64, err error) {
	p, err := proc(pid)
	if err != nil {
		return 0, 0, err
	}
	status, err := p.NewStatus()
	if err != nil {
		return 0, 0, err
	}
	if status.VmHWM == 0 || status.VmRSS == 0 {
		// Kernel threads and zombies have no memory lines.
		return 0, 0, fmt.Errorf("status has no VmHWM and VmRSS")
	}
	return int64(status.VmHWM), int64(status.VmRSS), nil
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
