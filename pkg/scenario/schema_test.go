package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatalf("schema.json is not valid JSON: %v", err)
	}
	return s
}

func TestSchemaIsJSON(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	if got := s["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", got)
	}
	// Schema hands out a copy.
	b := Schema()
	b[0] = 'x'
	if Schema()[0] != '{' {
		t.Error("Schema() returns the embedded bytes themselves")
	}
}

// The schema and the loader know the same keys, section by section.
func TestSchemaKnowsEveryKey(t *testing.T) {
	t.Parallel()
	defs := loadSchema(t)["$defs"].(map[string]any)
	for section, keys := range knownKeys {
		t.Run(section, func(t *testing.T) {
			t.Parallel()
			def, ok := defs[section].(map[string]any)
			if !ok {
				t.Fatalf("schema has no $defs/%s", section)
			}
			props, _ := def["properties"].(map[string]any)
			var inSchema []string
			for k := range props {
				inSchema = append(inSchema, k)
			}
			sort.Strings(inSchema)
			loader := append([]string(nil), keys...)
			sort.Strings(loader)
			if openSections[section] {
				for _, k := range loader {
					if _, ok := props[k]; !ok {
						t.Errorf("the loader knows %s.%s, the schema does not", section, k)
					}
				}
				if def["additionalProperties"] != true {
					t.Errorf("open section %s must allow additional properties", section)
				}
				return
			}
			if diff := cmp.Diff(loader, inSchema); diff != "" {
				t.Errorf("keys of %s (-loader +schema):\n%s", section, diff)
			}
			if def["additionalProperties"] != false {
				t.Errorf("closed section %s must set additionalProperties: false", section)
			}
		})
	}
}

// The schema accepts what the loader accepts, and rejects the mistakes it
// can express.
func TestSchemaAgreesWithLoader(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	valid := map[string]string{"minimal": minimal,
		"docker without port": "simulation: {duration_s: 1, seed: 1}\nnodes: [{id: a, type: t, implementation: docker, docker: {image: i}}]\n",
		"compat upstream":     "simulation: {duration_s: 1, seed: 1, compat: upstream}\nnodes: [{id: a, type: t, port: 1, config: {sample_rate_hz: 10}}]\n"}
	err := filepath.WalkDir(corpus, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		valid[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	placeholder := filepath.Join(corpus, "scenarios/vib-monitoring/config.yaml")
	invalid := map[string]string{
		"placeholder":              valid[placeholder],
		"python without port":      "simulation: {duration_s: 1, seed: 1}\nnodes: [{id: a, type: t}]\n",
		"process without command":  "simulation: {duration_s: 1, seed: 1}\nnodes: [{id: a, type: t, implementation: process}]\n",
		"renode without firmware":  "simulation: {duration_s: 1, seed: 1}\nnodes: [{id: a, type: t, implementation: renode_inprocess, platform: p}]\n",
		"latency without latency":  minimal + "network: {model: latency, links: [{src: a, dst: a}]}\n",
		"edge without edge_config": minimal + "ml_inference: {placement: edge, cloud_config: {model_path: m}}\n",
		"unknown key":              minimal + "extra: 1\n",
		"zero duration":            "simulation: {duration_s: 0, seed: 1}\nnodes: [{id: a, type: t, port: 1}]\n",
		"loss above one":           minimal + "network: {default_loss_rate: 1.5}\n",
		"string port":              "simulation: {duration_s: 1, seed: 1}\nnodes: [{id: a, type: t, port: http}]\n",
		"no nodes":                 "simulation: {duration_s: 1, seed: 1}\nnodes: []\n",
		"unknown compat":           "simulation: {duration_s: 1, seed: 1, compat: python}\nnodes: [{id: a, type: t, port: 1}]\n",
	}
	delete(valid, placeholder)
	for name, src := range map[string]string{
		"process nodes": `simulation: {duration_s: 1, seed: 1}
nodes:
  - {id: a, type: t, config: {command: [./a, 1]}}
  - {id: b, type: t, implementation: process, config: {command: ./b}}
  - {id: c, type: t, implementation: process, port: 5}
  - {id: d, type: t, config: {address: "h:1"}}
network: {model: latency, links: [{src: a, dst: b, latency_us: 1, jitter_us: 2, bandwidth_bps: 3, bidirectional: true}]}
report: {csv: true}
x-anchors: {}
validation:
  assertions:
    - {metric: packet_delivery_rate, operator: gte, value: 0.99, where: {src: "a*", dst: b}}
    - {metric: latency_p95_ms, max: 20, description: fast}
    - {metric: messages_processed, operator: ">", value: 0, where: {node: b}}
faults:
  - {at_s: 0.1, kind: link_down, link: {src: a, dst: b}, duration_s: 0.2}
  - {at_s: 0.2, kind: link_degrade, link: {src: "*", dst: b}, latency_us: 50000, loss_rate: 0.2}
  - {at_s: 0.3, kind: partition, groups: [[a], [b, c]], duration_s: 0.1}
  - {at_s: 0.4, kind: node_crash, node: b, restart_after_s: 0.1}
`,
	} {
		valid[name] = src
	}

	for name, src := range valid {
		t.Run("valid/"+name, func(t *testing.T) {
			t.Parallel()
			if errs := validate(schema, schema, toJSON(t, src), "#"); len(errs) > 0 {
				t.Errorf("schema rejects it:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
	for name, src := range invalid {
		t.Run("invalid/"+name, func(t *testing.T) {
			t.Parallel()
			if errs := validate(schema, schema, toJSON(t, src), "#"); len(errs) == 0 {
				t.Errorf("schema accepts it")
			}
			if _, _, err := Parse([]byte(src), file, WithStrict(true)); err == nil {
				t.Errorf("the loader accepts it (strict)")
			}
		})
	}
}

// toJSON reads YAML into the values JSON Schema talks about.
func toJSON(t *testing.T, src string) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return yamldiag.New("").Value(doc.Content[0], "")
}

// validate is a small JSON Schema validator: the keywords schema.json uses,
// enough to check the schema against real files without a dependency.
func validate(root, s map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, at+": "+fmt.Sprintf(format, args...))
	}
	sub := func(x any) map[string]any { m, _ := x.(map[string]any); return m }
	if ref, ok := s["$ref"].(string); ok {
		target := root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			target = sub(target[part])
		}
		errs = append(errs, validate(root, target, v, at)...)
	}
	if types, ok := s["type"]; ok {
		var list []any
		switch x := types.(type) {
		case string:
			list = []any{x}
		case []any:
			list = x
		}
		matched := false
		for _, ty := range list {
			matched = matched || isType(v, ty.(string))
		}
		if !matched {
			fail("%v is not %v", v, types)
			return errs
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			fail("%v is not one of %v", v, enum)
		}
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("%v is not %v", v, c)
	}
	if f, ok := number(v); ok {
		if m, ok := s["minimum"].(float64); ok && f < m {
			fail("%v < %v", v, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			fail("%v > %v", v, m)
		}
		if m, ok := s["exclusiveMinimum"].(float64); ok && f <= m {
			fail("%v <= %v", v, m)
		}
	}
	if str, ok := v.(string); ok {
		if m, ok := s["minLength"].(float64); ok && float64(len(str)) < m {
			fail("%q is too short", str)
		}
	}
	if arr, ok := v.([]any); ok {
		if m, ok := s["minItems"].(float64); ok && float64(len(arr)) < m {
			fail("fewer than %v items", m)
		}
		if items := sub(s["items"]); items != nil {
			for i, item := range arr {
				errs = append(errs, validate(root, items, item, fmt.Sprintf("%s/%d", at, i))...)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing %s", r)
			}
		}
		props := sub(s["properties"])
		patterns := sub(s["patternProperties"])
		for k, val := range obj {
			if p := sub(props[k]); p != nil {
				errs = append(errs, validate(root, p, val, at+"/"+k)...)
				continue
			}
			matched := false
			for pat, ps := range patterns {
				if regexp.MustCompile(pat).MatchString(k) {
					matched = true
					errs = append(errs, validate(root, sub(ps), val, at+"/"+k)...)
				}
			}
			if !matched && s["additionalProperties"] == false {
				fail("unknown key %s", k)
			}
		}
	}
	for _, x := range asList(s["allOf"]) {
		errs = append(errs, validate(root, sub(x), v, at)...)
	}
	if anyOf := asList(s["anyOf"]); len(anyOf) > 0 {
		ok := false
		for _, x := range anyOf {
			ok = ok || len(validate(root, sub(x), v, at)) == 0
		}
		if !ok {
			fail("matches none of anyOf")
		}
	}
	if oneOf := asList(s["oneOf"]); len(oneOf) > 0 {
		n := 0
		for _, x := range oneOf {
			if len(validate(root, sub(x), v, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail("matches %d of oneOf", n)
		}
	}
	if not := sub(s["not"]); not != nil && len(validate(root, not, v, at)) == 0 {
		fail("matches not")
	}
	if cond := sub(s["if"]); cond != nil {
		branch := sub(s["else"])
		if len(validate(root, cond, v, at)) == 0 {
			branch = sub(s["then"])
		}
		if branch != nil {
			errs = append(errs, validate(root, branch, v, at)...)
		}
	}
	return errs
}

func asList(x any) []any { l, _ := x.([]any); return l }

// number reads a decoded YAML number as the loader does.
func number(v any) (float64, bool) { return yamldiag.Number(v) }

func isType(v any, ty string) bool {
	switch ty {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		f, ok := number(v)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}
