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
	"errors"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// observed is a logger built as newLogger builds etcd's (stack traces on
// errors, quietCore around the output), recording what it writes.
func observed(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs, *atomic.Bool) {
	core, logs := observer.New(level)
	closing := &atomic.Bool{}
	return zap.New(quietCore{Core: core, closing: closing}, zap.AddStacktrace(zapcore.ErrorLevel)), logs, closing
}

func TestQuietCoreDemotesFreshBackendMessages(t *testing.T) {
	freshErr := errors.New("cannot detect storage schema version: missing term information")
	otherErr := errors.New(`cannot create migration plan: version "3.5.0" is not supported`)

	// At etcd's usual level (warn), the fresh-backend messages vanish.
	logger, logs, _ := observed(zapcore.WarnLevel)
	logger.Error("failed to update storage version", zap.String("cluster-version", "3.7.0"), zap.Error(freshErr))
	logger.Warn("Failed to detect schema version", zap.Error(errors.New("missing term information")))
	if n := logs.Len(); n != 0 {
		t.Errorf("the fresh-backend messages were written at warn level: %+v", logs.All())
	}

	// With another error they are what etcd says they are.
	logger.Error("failed to update storage version", zap.String("cluster-version", "3.7.0"), zap.Error(otherErr))
	logger.Warn("Failed to detect schema version", zap.Error(otherErr))
	// Other errors are untouched.
	logger.Error("something else", zap.Error(freshErr))
	all := logs.TakeAll()
	if len(all) != 3 {
		t.Fatalf("want 3 entries, got %+v", all)
	}
	for i, want := range []zapcore.Level{zapcore.ErrorLevel, zapcore.WarnLevel, zapcore.ErrorLevel} {
		if all[i].Level != want {
			t.Errorf("%q logged at %v, want %v", all[i].Message, all[i].Level, want)
		}
	}
	if all[0].Stack == "" {
		t.Error("a real storage-version failure lost its stack trace")
	}

	// At info level the demoted messages are written, as info, without a
	// stack trace, and with their fields.
	logger, logs, _ = observed(zapcore.InfoLevel)
	logger.Error("failed to update storage version", zap.String("cluster-version", "3.7.0"), zap.Error(freshErr))
	all = logs.TakeAll()
	if len(all) != 1 || all[0].Level != zapcore.InfoLevel || all[0].Stack != "" || all[0].ContextMap()["cluster-version"] != "3.7.0" {
		t.Errorf("want one info entry without a stack trace and with its fields, got %+v", all)
	}

	// Fields added with With are kept.
	logger.With(zap.String("member", "wardle")).Error("failed to update storage version", zap.Error(freshErr))
	if all = logs.TakeAll(); len(all) != 1 || all[0].ContextMap()["member"] != "wardle" || all[0].Level != zapcore.InfoLevel {
		t.Errorf("With: got %+v", all)
	}
}

func TestQuietCoreExpectedWarningsAndClosing(t *testing.T) {
	logger, logs, closing := observed(zapcore.InfoLevel)
	logger.Warn("simple token is not cryptographically signed")
	logger.Info("something")
	closing.Store(true)
	logger.Error("accept tcp 127.0.0.1:1234: use of closed network connection")
	logger.Error("failed to update storage version", zap.Error(errors.New("missing term information")))
	if all := logs.All(); len(all) != 1 || all[0].Message != "something" {
		t.Errorf("want only the info entry, got %+v", all)
	}
}
