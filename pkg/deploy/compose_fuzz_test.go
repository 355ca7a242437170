package deploy

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzPinCompose checks that pinning never panics on any compose file, is
// deterministic, and that whatever it writes is YAML in which the service
// runs the pinned image with our labels. The seed corpus
// (testdata/fuzz/FuzzPinCompose) runs with every go test. Run with
//
//	go test -run '^$' -fuzz FuzzPinCompose ./pkg/deploy/
func FuzzPinCompose(f *testing.F) {
	for _, s := range []string{
		"services:\n  app:\n    image: placeholder # replaced\n    ports: [\"8080:8080\"]\n",
		"services:\n  app:\n    labels: {team: edge, xedgesim.digest: old}\n",
		"services:\n  app:\n    image: x\n    labels: [team=edge, xedgesim.deploy-id=old]\n",
		"services:\n  app: &a {image: x}\n  b: *a\n",
		"services:\n  app:\n    labels: 3\n",
		"x: &x [*x]\n",
		"services: {app: {image: !!binary aGk=}}\n",
		"",
		"---\n---\n",
	} {
		f.Add([]byte(s), "app")
	}
	const ref = "r/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	labels := map[string]string{LabelDigest: "sha256:abc", LabelDeployID: "d1"}
	f.Fuzz(func(t *testing.T, data []byte, service string) {
		if len(data) > 1<<16 {
			return
		}
		out, err := pinCompose(data, service, ref, labels)
		out2, err2 := pinCompose(data, service, ref, labels)
		if out != out2 || (err == nil) != (err2 == nil) {
			t.Fatalf("two pins differ")
		}
		if err != nil {
			return
		}
		var doc struct {
			Services map[string]struct {
				Image  string `yaml:"image"`
				Labels any    `yaml:"labels"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
			// A file the pinning accepted may still not be a compose
			// file (the manifest loader checks that); it must stay YAML.
			var n yaml.Node
			if yaml.Unmarshal([]byte(out), &n) != nil {
				t.Fatalf("the pinned file is not YAML: %v\n%s", err, out)
			}
			return
		}
		svc, ok := doc.Services[service]
		if !ok {
			return // the key was written in a form the decoder maps elsewhere (a merge, a non-string key)
		}
		if svc.Image != ref {
			t.Fatalf("image %q, want %q\n%s", svc.Image, ref, out)
		}
		if !strings.Contains(out, "sha256:abc") || !strings.Contains(out, "d1") {
			t.Fatalf("labels missing\n%s", out)
		}
	})
}
