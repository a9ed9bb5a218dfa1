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

package embeddedetcd

import (
	"strings"
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// expectedWarnings are etcd warnings that describe exactly how the embedded
// etcd is meant to run (no etcd auth; one port for gRPC and HTTP in the
// insecure configuration of tests and benchmarks), not a problem.
var expectedWarnings = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

// freshBackendMessages are what etcd's storage-version monitor logs, as an
// error with a stack trace and a warning, on the first start of a new
// member when it races the backend's first commit: the cluster version is
// set (and the monitor woken) a moment after the member's first raft
// entries are applied, but the term that tells the schema version is only
// written to the database at the next batch commit (every 100 ms), so the
// monitor finds none, gives up, and succeeds on its next round 4 s later.
// Nothing is wrong and nothing is lost; etcd's maintainers call it
// harmless and allow it in their own no-error-logs test
// (etcd-io/etcd#18978, #19040, #19060). No configuration avoids it short
// of committing the database after every write. These messages are
// demoted to info when, and only when, their error is freshBackendError;
// any other storage-version failure still logs as etcd means it.
var freshBackendMessages = map[string]bool{
	"failed to update storage version": true,
	"Failed to detect schema version":  true,
}

// freshBackendError is the error of freshBackendMessages on a new member.
const freshBackendError = "missing term information"

// newLogger returns etcd's usual zap logger at level, writing to stderr,
// that stays quiet about what is expected: the warnings above, the
// messages of a fresh backend, and everything etcd says once Close has
// begun, when it reports its own listeners closing as errors ("use of
// closed network connection").
func newLogger(level string, closing *atomic.Bool) (*zap.Logger, error) {
	cfg := logutil.DefaultZapLoggerConfig
	cfg.Level = zap.NewAtomicLevelAt(logutil.ConvertToZapLevel(level))
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return cfg.Build(zap.WrapCore(func(core zapcore.Core) zapcore.Core {
		return quietCore{Core: core, closing: closing}
	}))
}

type quietCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c quietCore) With(fields []zapcore.Field) zapcore.Core {
	return quietCore{Core: c.Core.With(fields), closing: c.closing}
}

func (c quietCore) Check(entry zapcore.Entry, checked *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if expectedWarnings[entry.Message] || (c.closing.Load() && entry.Level < zapcore.DPanicLevel) {
		return checked
	}
	if freshBackendMessages[entry.Message] {
		// Only Write sees the error field: decide there.
		return checked.AddCore(entry, c)
	}
	return c.Core.Check(entry, checked)
}

// Write is only reached for freshBackendMessages (Check hands every other
// entry to the wrapped core itself).
func (c quietCore) Write(entry zapcore.Entry, fields []zapcore.Field) error {
	if hasError(fields, freshBackendError) {
		entry.Level = zapcore.InfoLevel
		entry.Stack = ""
	}
	if !c.Enabled(entry.Level) {
		return nil
	}
	return c.Core.Write(entry, fields)
}

// hasError reports whether fields hold an error whose text contains s.
func hasError(fields []zapcore.Field, s string) bool {
	for _, f := range fields {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}
