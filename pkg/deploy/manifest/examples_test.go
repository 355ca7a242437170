package manifest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// TestExamplesMatchSchema: every example manifest in the repository loads
// (its files and templates included) and the JSON Schema that
// `xedgesim schema deploy` prints accepts it; the schema refuses a
// mistake the loader refuses too.
func TestExamplesMatchSchema(t *testing.T) {
	t.Parallel()
	c := jsonschema.NewCompiler()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("deploy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("deploy.schema.json")
	if err != nil {
		t.Fatalf("compiling the schema: %v", err)
	}
	validate := func(data []byte) error {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return err
		}
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			return err
		}
		return sch.Validate(inst)
	}
	paths, _ := filepath.Glob("../../../docs/examples/deploy/*.yaml")
	n := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("\nhosts:")) {
			continue // a compose file or another file a manifest names
		}
		n++
		m, err := Load(p)
		if err == nil {
			err = m.CheckFiles()
		}
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if err := validate(data); err != nil {
			t.Errorf("%s: the schema refuses it: %v", p, err)
		}
		// A mistake the loader refuses, the schema refuses.
		bad := strings.Replace(string(data), "\nservice:\n", "\nservice:\n  colour: blue\n", 1)
		if validate([]byte(bad)) == nil {
			t.Errorf("%s: the schema accepts service.colour", p)
		}
	}
	if n < 3 {
		t.Errorf("%d example manifests in docs/examples/deploy, want one per strategy", n)
	}
}
