package compose

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func check(t *testing.T, src, project string, lookup func(string) (string, bool)) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Check(&doc, "compose.yaml", project, lookup) {
		got = append(got, p.Error())
	}
	return got
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const app = "services:\n  app:\n    image: x\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		// The manifest's own cases keep their messages and positions.
		{"manifest compose.yaml", "services:\n  app:\n    image: placeholder\n    ports: [\"8080:8080\"]\n  sidecar:\n    image: r/sidecar@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", nil},
		{"manifest unknown setting", app + "    imagee: y\n", []string{`4:5: unknown key "imagee" in services.app`}},
		{"manifest bad ports", app + "    ports: [{target: nope}]\n", []string{`4:5: error while interpolating services.app.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing "nope": invalid syntax`}},
		{"manifest version", "version: '3.8'\n" + app, nil},

		{"unknown top-level key", "servics: {}\n", []string{`1:1: unknown key "servics" at the top level`}},
		{"unknown key under additionalProperties", app + "    deploy: {replica: 2}\n", []string{`4:14: unknown key "replica" in services.app.deploy`}},
		{"bad service name", "services:\n  my app: {image: x}\n", []string{`2:3: unknown key "my app" in services`}},
		{"wrong type", app + "    ports: \"80:80\"\n", []string{"4:5: services.app.ports must be a array"}},
		{"wrong type of two", app + "    ulimits: {nofile: [1]}\n", []string{"4:15: services.app.ulimits.nofile must be a integer, mapping or string"}},
		{"list item type", app + "    ports: [[80]]\n", []string{"4:13: services.app.ports.0 must be a mapping, number or string"}},
		{"enum", app + "    deploy: {update_config: {order: sideways}}\n", []string{"4:30: services.app.deploy.update_config.order value must be one of 'start-first', 'stop-first'"}},
		{"pattern", app + "    pull_policy: sometimes\n", []string{`4:5: services.app.pull_policy 'sometimes' does not match pattern '^(always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+)$'`}},
		{"repeated entries are one", app + "    cap_add: [A, A]\n    ports: [80, 80]\n", nil},
		{"repeated entries elsewhere", app + "    group_add: [a, a]\n", []string{"4:5: services.app.group_add has items 0 and 1 equal"}},
		{"entry without a key", app + "    volumes: [{type: bind, source: ./a}]\n", []string{"4:15: service volume services.app.volumes.[0] is missing a mount target"}},
		{"not a mapping", "- x\n", []string{"1:1: top-level object must be a mapping"}},
		{"empty", "{}\n", []string{"1:1: empty compose file"}},

		{"duplicate key", app + "    image: y\n", []string{`4:5: mapping key "image" already defined at line 3`}},
		{"non-string key", app + "    sysctls: {1: 2}\n", []string{"4:15: non-string key in services.app.sysctls: 1"}},
		{"merge key", "x-base: &base {image: x, restart: always}\nservices:\n  app:\n    <<: *base\n    restart: \"no\"\n", nil},

		{"interpolation required", "services:\n  app:\n    image: ${IMAGE:?set it}\n", []string{"3:5: error while interpolating services.app.image: required variable IMAGE is missing a value: set it"}},
		{"interpolation invalid", "services:\n  app:\n    image: \"x${\"\n", []string{"3:5: invalid interpolation format for services.app.image.\nYou may need to escape any $ with another $.\nx${"}},
		{"interpolation cast", app + "    privileged: ${PRIV:-maybe}\n", []string{"4:5: error while interpolating services.app.privileged: failed to cast to expected type: invalid boolean: maybe"}},
		{"interpolation cast ok", app + "    privileged: ${PRIV:-yes}\n    cpus: ${CPUS:-0.5}\n", nil},

		{"duration", app + "    stop_grace_period: 10parsecs\n", []string{`4:5: services.app.stop_grace_period: time: unknown unit "parsecs" in duration "10parsecs"`}},
		{"duration in days", app + "    stop_grace_period: 1d\n", nil},
		{"bytes", app + "    mem_limit: 1zb\n", []string{"4:5: services.app.mem_limit: invalid suffix: 'zb'"}},
		{"short port", app + "    ports: [\"80/icmp\", \"1.2.3:80:80\", \"70000\"]\n", []string{"4:13: invalid proto: icmp", "4:24: invalid IP address: 1.2.3", "4:39: invalid containerPort: 70000"}},
		{"short volume", app + "    volumes: [\"./a:/a:ro:x\"]\n", []string{"4:15: invalid spec: ./a:/a:ro:x: too many colons"}},

		{"undefined references", app + "    networks: [back]\n    volumes: [\"data:/data\"]\n    secrets: [token]\n    configs: [{source: conf, target: /c}]\n    depends_on: [db]\n",
			[]string{
				`4:16: service "app" refers to undefined network back`,
				`8:18: service "app" depends on undefined service "db"`,
				`5:15: service "app" refers to undefined volume data`,
				`7:15: service "app" refers to undefined config conf`,
				`6:15: service "app" refers to undefined secret token`,
			}},
		{"defined references", app + "    networks: [default, back]\n    volumes: [\"data:/data\", \"./here:/here\"]\n    secrets: [token]\nnetworks: {back: {}}\nvolumes: {data: {}}\nsecrets: {token: {file: ./t}}\n", nil},
		{"no image", "services:\n  app: {command: x}\n", []string{`2:3: service "app" has neither an image nor a build context specified`}},
		{"cycle", "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, links: [a]}\n", []string{"3:25: dependency cycle detected: a -> b -> a"}},
		{"profiled service is not checked", app + "  debug: {image: x, profiles: [debug], networks: [nope]}\n", nil},
		{"secret without a source", app + "secrets:\n  t: {labels: [a=b]}\n", []string{"5:3: secrets.t: one of file|environment must be set"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, check(t, tc.src, "test", nil)); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckProjectName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		project string
		want    []string
	}{
		{"app", nil},
		{"edge-app_2", nil},
		{"App", []string{`1:1: invalid project name "App": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`}},
		{"-app", []string{`1:1: invalid project name "-app": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`}},
		{"", []string{"1:1: project name must not be empty"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, check(t, "services:\n  app: {image: x}\n", tc.project, nil)); diff != "" {
			t.Errorf("project %q (-want +got):\n%s", tc.project, diff)
		}
	}
}

func TestNormalizeProjectName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"app": "app", "My App": "myapp", "_-x_": "x_", "a.b": "ab", "": ""} {
		if got := NormalizeProjectName(in); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckLookup: variables come from lookup; the manifest's lookup says
// every variable is set, so an unset one is blank and defaults to nothing.
func TestCheckLookup(t *testing.T) {
	t.Parallel()
	src := "services:\n  app:\n    image: x\n    scale: ${N-1}\n"
	env := func(v map[string]string, always bool) func(string) (string, bool) {
		return func(k string) (string, bool) {
			s, ok := v[k]
			return s, ok || always
		}
	}
	tests := []struct {
		name   string
		lookup func(string) (string, bool)
		want   []string
	}{
		{"nil: nothing is set, the default applies", nil, nil},
		{"set", env(map[string]string{"N": "2"}, false), nil},
		{"set to a word", env(map[string]string{"N": "x"}, false), []string{`4:5: error while interpolating services.app.scale: failed to cast to expected type: strconv.Atoi: parsing "x": invalid syntax`}},
		{"always set: blank, no default", env(nil, true), []string{`4:5: error while interpolating services.app.scale: failed to cast to expected type: strconv.Atoi: parsing "": invalid syntax`}},
	}
	for _, tc := range tests {
		got := check(t, src, "test", tc.lookup)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func BenchmarkCompileSchema(b *testing.B) {
	for b.Loop() {
		if _, err := compileSchema([]byte(specJSON)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/deploy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if p := Check(&doc, "deploy.yaml", "test", nil); len(p) > 0 {
			b.Fatal(p)
		}
	}
}
