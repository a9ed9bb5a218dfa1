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

package fuzz

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestDriver sends a fixed pseudo-random sequence of requests
// ($WARDLE_FUZZ_DRIVER of them, seeded by $WARDLE_FUZZ_SEED, default 1):
// first every example, then generated ones over every encoding and target.
// It does not fail on a bad answer; it counts them, and reports the
// answers of 500 or more, the slowest requests and each example's answer,
// as text in the test log and as JSON in $WARDLE_FUZZ_REPORT if set.
func TestDriver(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WARDLE_FUZZ_DRIVER"))
	if n <= 0 {
		t.Skip("set WARDLE_FUZZ_DRIVER to the number of requests to send")
	}
	seed := uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("WARDLE_FUZZ_SEED"), 10, 64); err == nil {
		seed = v
	}
	s := startServer(t)
	rep := &report{Seed: seed}
	start := time.Now()

	for _, ex := range examples() {
		r := s.exampleRequest(t, ex.op, ex.contentType, ex.tg, ex.flags, ex.body)
		res, p := s.check(r)
		rep.add(ex.name, r, res, p)
		rep.Examples = append(rep.Examples, exampleOutcome{Name: ex.name, Code: res.code, Millis: res.elapsed.Milliseconds(), Message: statusMessage(res), Problems: p})
	}
	g := &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := len(rep.Examples); i < n; i++ {
		ex := g.next()
		r := s.exampleRequest(t, ex.op, ex.contentType, ex.tg, ex.flags, ex.body)
		res, p := s.check(r)
		rep.add(ex.name, r, res, p)
		if i%1000 == 0 {
			t.Logf("%d requests in %v; %d answers >= 500 so far", i, time.Since(start).Round(time.Second), rep.Over500)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	t.Log("\n" + rep.text())
	if path := os.Getenv("WARDLE_FUZZ_REPORT"); path != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

// report is what the driver saw.
type report struct {
	Seed     uint64
	Requests int
	Seconds  float64
	// Codes counts the answers by HTTP code (0: no answer).
	Codes map[int]int
	// Over500 counts the answers of 500 or more (and requests never
	// answered); Slow, the requests that took maxRequestTime or more;
	// NotStatus, the failures whose body was not a proper Status; Invalid,
	// the successes that stored an invalid object.
	Over500, Slow, NotStatus, Invalid int
	// Errors500 are the distinct messages of answers >= 500, with a count
	// and the first request that got each.
	Errors500 []*failure
	// Slowest are the 15 slowest requests.
	Slowest []outcome
	// Problems are the first 50 other problems.
	Problems []string
	Examples []exampleOutcome
}

type failure struct {
	Message string
	Count   int
	First   outcome
}

type outcome struct {
	Name    string
	Request string
	Code    int
	Millis  int64
}

type exampleOutcome struct {
	Name     string
	Code     int
	Millis   int64
	Message  string
	Problems []string `json:",omitempty"`
}

func (rep *report) add(name string, r request, res result, p problems) {
	rep.Requests++
	if rep.Codes == nil {
		rep.Codes = map[int]int{}
	}
	rep.Codes[res.code]++
	o := outcome{Name: name, Request: r.String(), Code: res.code, Millis: res.elapsed.Milliseconds()}
	if res.code >= 500 || res.code == 0 {
		rep.Over500++
		msg := statusMessage(res)
		// Group by the message's start, which names the failure; the rest
		// is often the object's name or a value.
		key := msg
		if len(key) > 60 {
			key = key[:60]
		}
		i := slices.IndexFunc(rep.Errors500, func(f *failure) bool { return strings.HasPrefix(f.Message, key) })
		if i < 0 {
			rep.Errors500 = append(rep.Errors500, &failure{Message: truncate([]byte(msg), 300), First: o})
			i = len(rep.Errors500) - 1
		}
		rep.Errors500[i].Count++
	}
	if res.elapsed >= maxRequestTime {
		rep.Slow++
	}
	rep.Slowest = append(rep.Slowest, o)
	slices.SortFunc(rep.Slowest, func(a, b outcome) int { return int(b.Millis - a.Millis) })
	if len(rep.Slowest) > 15 {
		rep.Slowest = rep.Slowest[:15]
	}
	for _, msg := range p {
		switch {
		case strings.Contains(msg, "not a Status") || strings.Contains(msg, "with a Status") || strings.Contains(msg, "Status without"):
			rep.NotStatus++
		case strings.Contains(msg, "is invalid") || strings.Contains(msg, "does not decode"):
			rep.Invalid++
		case strings.HasPrefix(msg, "HTTP 5") || strings.HasPrefix(msg, "took ") || strings.HasPrefix(msg, "no answer"):
			continue
		}
		if len(rep.Problems) < 50 {
			rep.Problems = append(rep.Problems, name+": "+msg)
		}
	}
}

// statusMessage is the message of a Status answer, or the start of the body.
func statusMessage(res result) string {
	if res.code == 0 {
		return "no answer"
	}
	if status, err := decodeStatus(res.body); err == nil {
		return truncate([]byte(status.Message), 300)
	}
	if res.code >= 200 && res.code < 300 {
		return ""
	}
	return truncate(res.body, 300)
}

func (rep *report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d requests in %.0f s\n", rep.Seed, rep.Requests, rep.Seconds)
	codes := make([]int, 0, len(rep.Codes))
	for c := range rep.Codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "  HTTP %d: %d\n", c, rep.Codes[c])
	}
	fmt.Fprintf(&b, "answers >= 500: %d; requests >= %v: %d; failures not a Status: %d; invalid objects stored: %d\n",
		rep.Over500, maxRequestTime, rep.Slow, rep.NotStatus, rep.Invalid)
	for _, f := range rep.Errors500 {
		fmt.Fprintf(&b, "  %dx %s\n     first: %s\n", f.Count, f.Message, truncate([]byte(f.First.Request), 200))
	}
	b.WriteString("slowest:\n")
	for _, o := range rep.Slowest {
		fmt.Fprintf(&b, "  %6d ms HTTP %d %s: %s\n", o.Millis, o.Code, o.Name, truncate([]byte(o.Request), 160))
	}
	b.WriteString("examples:\n")
	for _, e := range rep.Examples {
		fmt.Fprintf(&b, "  %-58s HTTP %d %6d ms %s\n", e.Name, e.Code, e.Millis, truncate([]byte(e.Message), 120))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "problem: %s\n", truncate([]byte(p), 300))
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// The generator.

// generator makes requests from valid bodies by mutation: wrong types,
// nulls, special numbers, unicode, invalid names, unknown fields, patch
// directives, deep nesting, large values, broken syntax and protobuf
// garbage. It depends on its seed only, never on the server's answers.
type generator struct {
	rnd *rand.Rand
	n   int
}

// kinds of requests, one per fuzz target.
var kinds = []struct {
	op          operation
	contentType string
}{
	{opCreate, ctJSON}, {opUpdate, ctJSON}, {opPatch, ctMerge}, {opPatch, ctJSONPat},
	{opPatch, ctSMP}, {opPatch, ctApply}, {opCreate, ctProtobuf},
}

// raw marks a token to be put in the body as is (1e400, Infinity...),
// which no Go value marshals to.
func raw(token string) string { return "@@RAW:" + token + "@@" }

func (g *generator) intn(n int) int        { return g.rnd.IntN(n) }
func (g *generator) chance(p float64) bool { return g.rnd.Float64() < p }
func pick[T any](g *generator, xs ...T) T  { return xs[g.intn(len(xs))] }

func (g *generator) next() example {
	g.n++
	k := kinds[g.intn(len(kinds))]
	ex := example{op: k.op, contentType: k.contentType, tg: target(g.intn(int(numTargets))), flags: uint8(g.intn(16))}
	if ex.flags&flagMissing != 0 && !g.chance(0.3) {
		ex.flags &^= flagMissing
	}
	if ex.op == opCreate && ex.tg == flunderStatus {
		ex.tg = flunders
	}
	size := "small"
	switch {
	case g.chance(0.004):
		size = "large"
	case g.chance(0.03):
		size = "medium"
	}
	switch k.contentType {
	case ctProtobuf:
		ex.body = g.protobuf(ex.tg)
	case ctJSONPat:
		ex.body = g.jsonPatch(ex.tg, size)
	default:
		doc := g.document(ex, size)
		ex.body = g.render(doc, k.contentType == ctApply && g.chance(0.6))
	}
	if g.chance(0.05) {
		ex.body = g.breakBytes(ex.body)
	}
	ex.name = fmt.Sprintf("gen-%d %s %s %s", g.n, size, k.contentType, ex.tg)
	return ex
}

// document is the body of a create, update or (merge, strategic, apply)
// patch: a valid object or patch, mutated.
func (g *generator) document(ex example, size string) map[string]any {
	var doc map[string]any
	full := ex.op != opPatch || ex.contentType == ctApply || g.chance(0.2)
	if full {
		_ = json.Unmarshal(bodyFor(baseObject(ex.tg, namePlaceholder), namePlaceholder), &doc)
		if ex.tg == flunderStatus {
			doc["status"] = map[string]any{"observedGeneration": 2, "conditions": []any{g.condition()}}
		}
		if ex.flags&flagAlpha != 0 {
			doc["apiVersion"] = group + "/v1alpha1"
			if spec, ok := doc["spec"].(map[string]any); ok {
				delete(spec, "flunderReference")
				spec["reference"] = "other"
			}
		}
	} else {
		doc = map[string]any{}
		switch ex.tg {
		case fischers:
			doc["disallowedFlunders"] = []any{"x"}
		case flunderStatus:
			doc["status"] = map[string]any{"conditions": []any{g.condition()}}
		default:
			doc["spec"] = map[string]any{"fischerReference": "f", "referenceType": "Fischer"}
		}
	}
	for range 1 + g.intn(4) {
		g.mutate(doc, ex.contentType)
	}
	if size != "small" {
		setPath(doc, g.bigPath(ex.tg), g.bigValue(size))
	}
	return doc
}

func (g *generator) condition() map[string]any {
	return map[string]any{"type": "Ready", "status": "True", "reason": "Fine", "message": "", "lastTransitionTime": "2024-01-02T03:04:05Z"}
}

// paths the mutations aim at: every field of both kinds, some that exist
// in no version, and the patch directives.
var paths = [][]string{
	{"apiVersion"}, {"kind"}, {"metadata"},
	{"metadata", "name"}, {"metadata", "namespace"}, {"metadata", "generateName"},
	{"metadata", "labels"}, {"metadata", "labels", "app"}, {"metadata", "annotations"}, {"metadata", "annotations", "note"},
	{"metadata", "finalizers"}, {"metadata", "ownerReferences"}, {"metadata", "resourceVersion"}, {"metadata", "generation"},
	{"metadata", "uid"}, {"metadata", "creationTimestamp"}, {"metadata", "deletionTimestamp"}, {"metadata", "deletionGracePeriodSeconds"},
	{"metadata", "managedFields"}, {"metadata", "selfLink"},
	{"spec"}, {"spec", "flunderReference"}, {"spec", "fischerReference"}, {"spec", "referenceType"}, {"spec", "reference"},
	{"status"}, {"status", "observedGeneration"}, {"status", "conditions"},
	{"disallowedFlunders"},
	{"bogus"}, {"spec", "bogus"}, {"metadata", "bogus"},
	{"$patch"}, {"spec", "$patch"}, {"$retainKeys"}, {"$setElementOrder/status.conditions"},
	{"status", "$setElementOrder/conditions"}, {"metadata", "$deleteFromPrimitiveList/finalizers"}, {"metadata", "$setElementOrder/finalizers"},
}

func (g *generator) mutate(doc map[string]any, contentType string) {
	p := pick(g, paths...)
	switch g.intn(10) {
	case 0:
		deletePath(doc, p)
	case 1:
		// A valid-looking value of the right kind.
		setPath(doc, p, g.plausible(p))
	case 2:
		// A condition with a bad field.
		c := g.condition()
		c[pick(g, "type", "status", "reason", "message", "lastTransitionTime", "observedGeneration", "bogus")] = g.value(1)
		setPath(doc, []string{"status", "conditions"}, []any{c, pick[any](g, c, g.condition())})
	default:
		setPath(doc, p, g.value(0))
	}
}

// plausible is a value of the right type for p, often invalid all the same.
func (g *generator) plausible(p []string) any {
	switch p[len(p)-1] {
	case "labels", "annotations":
		return map[string]any{g.name(): g.name()}
	case "finalizers", "disallowedFlunders":
		return []any{g.name(), g.name()}
	case "ownerReferences":
		return []any{map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "name": g.name(), "uid": g.name(), "controller": g.chance(0.5)}}
	case "generation", "observedGeneration", "deletionGracePeriodSeconds":
		return pick[any](g, -1, 0, 1, 1<<62, raw("9223372036854775808"), 1.5)
	case "resourceVersion":
		return pick(g, "abc", "-1", "0", "1", "18446744073709551616", "1.5", "")
	case "creationTimestamp", "deletionTimestamp", "lastTransitionTime":
		return pick(g, "2024-01-02T03:04:05Z", "not a time", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59Z")
	case "managedFields":
		return []any{map[string]any{"manager": g.name(), "operation": pick(g, "Apply", "Update", "Bogus"), "fieldsType": pick(g, "FieldsV1", "x"), "fieldsV1": map[string]any{"f:spec": g.value(1)}}}
	case "referenceType":
		return pick(g, "Flunder", "Fischer", "flunder", "")
	default:
		return g.name()
	}
}

// name is a string that may or may not be a valid object name.
func (g *generator) name() string {
	return pick(g, "a", "b.c", "example.com/x", "Bad_Name", "-dash", "trailing.", "", "UPPER", "ü", "a\u0000b", "😀", raw("SURROGATE"),
		strings.Repeat("a", 64), strings.Repeat("b", 254), "kubernetes.io/x", "foregroundDeletion", "orphan", "a b", "../x", "%2F")
}

// value is any JSON value, with the special numbers as raw tokens.
func (g *generator) value(depth int) any {
	if depth > 3 {
		return g.name()
	}
	switch g.intn(24) {
	case 0:
		return nil
	case 1:
		return g.chance(0.5)
	case 2:
		return pick[any](g, 0, -1, 1, 7, 1<<53+1, -1<<62)
	case 3:
		return pick[any](g, 1.5, math.Copysign(0, -1), 1e308, 5e-324)
	case 4:
		return raw(pick(g, "1e400", "-1e400", "Infinity", "-Infinity", "NaN", "0x10", "01", "1.", "9223372036854775808", "1E+2"))
	case 5, 6, 7:
		return g.name()
	case 8:
		return pick(g, raw("SURROGATE"), "\u202e", "\ufeff", "\x7f", "日本語", "\\", "\"", "\n", "${x}")
	case 9, 10:
		m := map[string]any{}
		for range g.intn(4) {
			m[g.key()] = g.value(depth + 1)
		}
		return m
	case 11, 12:
		var l []any
		for range g.intn(4) {
			l = append(l, g.value(depth+1))
		}
		return l
	case 13:
		return map[string]any{"$patch": pick(g, "delete", "replace", "merge", "bogus", "")}
	case 14:
		return []any{map[string]any{"$patch": pick(g, "delete", "replace", "bogus")}, map[string]any{"type": "Ready"}}
	case 15:
		return g.nesting(pick(g, 10, 100, 1000, 10000))
	case 16:
		return strings.Repeat("x", pick(g, 100, 1000, 10000))
	default:
		return pick[any](g, "", "x", true, 1, map[string]any{}, []any{})
	}
}

func (g *generator) key() string {
	return pick(g, "a", "spec", "metadata", "name", "$patch", "$retainKeys", "$setElementOrder/conditions", "$deleteFromPrimitiveList/finalizers",
		"", "ü", "x.y", "f:spec", "k:{\"type\":\"Ready\"}", "type", "status", "conditions", "apiVersion")
}

// nesting is a value nested depth times, in arrays or objects.
func (g *generator) nesting(depth int) any {
	var v any = 1
	arrays := g.chance(0.5)
	for range depth {
		if arrays {
			v = []any{v}
		} else {
			v = map[string]any{"a": v}
		}
	}
	return v
}

// bigPath is where a large value goes.
func (g *generator) bigPath(tg target) []string {
	switch tg {
	case fischers:
		return pick(g, []string{"disallowedFlunders"}, []string{"metadata", "finalizers"}, []string{"metadata", "labels"}, []string{"metadata", "annotations"})
	case flunderStatus:
		return pick(g, []string{"status", "conditions"}, []string{"metadata", "finalizers"}, []string{"status", "observedGeneration"})
	default:
		return pick(g, []string{"metadata", "finalizers"}, []string{"metadata", "ownerReferences"}, []string{"metadata", "labels"},
			[]string{"metadata", "annotations"}, []string{"spec", "flunderReference"}, []string{"metadata", "managedFields"})
	}
}

// bigValue is a medium (10-100 KB) or large (100 KB-2.5 MB) value: many
// valid list items or map entries, or one long string.
func (g *generator) bigValue(size string) any {
	bytes := 10_000 + g.intn(90_000)
	if size == "large" {
		bytes = 100_000 + g.intn(2_400_000)
	}
	switch g.intn(6) {
	case 0:
		return strings.Repeat("a", bytes)
	case 1, 2:
		l := make([]any, 0, bytes/20)
		for i := range bytes / 20 {
			l = append(l, fmt.Sprintf("example.com/f-%d", i))
		}
		return l
	case 3:
		m := map[string]any{}
		for i := range bytes / 20 {
			m[fmt.Sprintf("k%d", i)] = fmt.Sprintf("v%d", i)
		}
		return m
	case 4:
		l := make([]any, 0, bytes/150)
		for i := range bytes / 150 {
			c := g.condition()
			c["type"] = fmt.Sprintf("T%d", i)
			l = append(l, c)
		}
		return l
	default:
		l := make([]any, 0, bytes/120)
		for i := range bytes / 120 {
			l = append(l, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "name": fmt.Sprintf("o%d", i), "uid": fmt.Sprintf("u%d", i)})
		}
		return l
	}
}

// jsonPatch is a list of operations, some valid.
func (g *generator) jsonPatch(tg target, size string) []byte {
	var ops []any
	for range 1 + g.intn(3) {
		p := pick(g, paths...)
		op := map[string]any{
			"op":   pick(g, "add", "replace", "remove", "test", "move", "copy", "bogus", ""),
			"path": "/" + strings.Join(p, "/") + pick(g, "", "", "/-", "/0", "/999", "~1"),
		}
		if g.chance(0.8) {
			op["value"] = pick[any](g, g.value(0), g.plausible(p))
		}
		if g.chance(0.3) {
			op["from"] = "/" + strings.Join(pick(g, paths...), "/")
		}
		ops = append(ops, op)
	}
	if size != "small" {
		ops = append(ops, map[string]any{"op": "add", "path": "/" + strings.Join(g.bigPath(tg), "/"), "value": g.bigValue(size)})
	}
	if g.chance(0.05) {
		return g.render(map[string]any{"op": "add"}, false)
	}
	data, _ := json.Marshal(ops)
	return expandRaw(data)
}

// protobuf is a valid protobuf object with bytes changed, or garbage.
func (g *generator) protobuf(tg target) []byte {
	var data []byte
	if tg == fischers {
		data = protobufFischer()
	} else {
		data = protobufFlunder()
	}
	switch g.intn(5) {
	case 0:
		garbage := make([]byte, g.intn(200))
		for i := range garbage {
			garbage[i] = byte(g.intn(256))
		}
		return append([]byte("k8s\x00"), garbage...)
	case 1:
		return data[:g.intn(len(data))]
	default:
		data = slices.Clone(data)
		for range 1 + g.intn(4) {
			i := 4 + g.intn(len(data)-4)
			data[i] = byte(g.intn(256))
		}
		return data
	}
}

// render encodes doc as JSON or YAML and puts the raw tokens in.
func (g *generator) render(doc map[string]any, asYAML bool) []byte {
	data, err := json.Marshal(doc)
	if err != nil {
		return []byte(`{}`)
	}
	if asYAML {
		y, err := yaml.JSONToYAML(data)
		if err == nil {
			data = y
			if g.chance(0.2) {
				data = append(data, pick(g, "extra: .inf\n", "extra: .nan\n", "extra: !!binary AAAA\n", "extra: &x [*x]\n", "? [a]\n: b\n", "---\nkind: Other\n", "\t: tab\n")...)
			}
		}
	}
	return expandRaw(data)
}

// rawMarker matches a raw marker, quoted as JSON or YAML quote it.
var rawMarker = regexp.MustCompile(`["']?@@RAW:([^@"']*)@@["']?`)

// expandRaw replaces the quoted raw markers with their tokens.
func expandRaw(data []byte) []byte {
	return rawMarker.ReplaceAllFunc(data, func(m []byte) []byte {
		token := rawMarker.FindSubmatch(m)[1]
		if string(token) == "SURROGATE" {
			// A lone UTF-16 surrogate, which no Go string can hold.
			return []byte(`"\ud800"`)
		}
		return token
	})
}

// breakBytes truncates the body, or overwrites or inserts a byte.
func (g *generator) breakBytes(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{")
	}
	b = slices.Clone(b)
	switch g.intn(3) {
	case 0:
		return b[:g.intn(len(b))]
	case 1:
		b[g.intn(len(b))] = byte(g.intn(256))
		return b
	default:
		i := g.intn(len(b))
		return slices.Insert(b, i, pick(g, byte('{'), byte('"'), byte(0), byte(0xff), byte(']')))
	}
}

func setPath(doc map[string]any, p []string, v any) {
	m := doc
	for _, k := range p[:len(p)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[p[len(p)-1]] = v
}

func deletePath(doc map[string]any, p []string) {
	m := doc
	for _, k := range p[:len(p)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, p[len(p)-1])
}
