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

// Package fuzz fuzzes the REST handlers of a real wardle-apiserver, started
// in-process on an embedded etcd by test/integration/framework, with Go's
// native fuzzer: one target per request encoding, each over flunders,
// fischers and flunders/status.
//
// Every input must get an answer below 500, within maxRequestTime; every
// answer that is not a success must be a metav1.Status (kind Status,
// apiVersion v1) with the HTTP code in it; and an object a success stored
// must read back, decode and pass validation.
//
// Without -fuzz, `go test ./test/fuzz/` runs every target on its seed
// corpus only (the examples of the reliability review, valid bodies, and
// anything under testdata/fuzz), as `make test` does. To fuzz one target
// for a bounded time:
//
//	go test ./test/fuzz -run '^$' -fuzz FuzzMergePatch -fuzztime 60s
//
// or every target in turn with `make fuzz FUZZTIME=60s`. The targets are
// FuzzCreateJSON, FuzzUpdateJSON, FuzzMergePatch, FuzzJSONPatch,
// FuzzStrategicMergePatch, FuzzApplyPatch and FuzzCreateProtobuf. The
// fuzzer runs one server per worker process (each target starts one
// server, and reuses it for every input); -parallel 1 keeps it to one on a
// small machine. A failing input is written under testdata/fuzz/<target>/
// and is then part of the seed corpus.
//
// Under the race detector, which slows the server down several times, the
// time limit is five times as long (see raceFactor).
//
// TestDriver (run only when WARDLE_FUZZ_DRIVER is set) is the bounded,
// deterministic driver the numbers in the reliability report come from: it
// sends a fixed pseudo-random sequence of requests and reports every answer
// of 500 or more and the slowest requests instead of failing on them:
//
//	WARDLE_FUZZ_DRIVER=12000 go test ./test/fuzz -run TestDriver -v -timeout 60m
package fuzz
