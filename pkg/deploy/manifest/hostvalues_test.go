package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostValuesManifest writes deploy.yaml and its files into a directory and
// parses it.
func hostValuesManifest(t *testing.T, files map[string]string, src string) (*Manifest, error) {
	t.Helper()
	dir := t.TempDir()
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Parse([]byte(src), filepath.Join(dir, "deploy.yaml"))
}

const hostValuesSrc = `image: r/app@` + digest + `
vars: {broker: 10.0.0.1, qos: "1"}
service:
  name: gw
  env: {DEVICE_ID: none, LOG: info}
  files:
    - {src: gw.conf.tmpl, dst: /opt/gw/gw.conf, template: true}
    - {src: static.conf, dst: /opt/gw/static.conf}
  health: {tcp: 80}
hosts:
  - {name: edge1, address: 10.0.0.11, user: pi, known_hosts: "` + knownHost + `", env: {DEVICE_ID: gw-1}, vars: {qos: "2"}}
  - {name: edge2, address: 10.0.0.12, user: pi, known_hosts: "` + knownHost + `", env: {DEVICE_ID: gw-2}}
`

func TestHostValues(t *testing.T) {
	t.Parallel()
	m, err := hostValuesManifest(t, map[string]string{
		"gw.conf.tmpl": "client_id {{.Host.Name}}\naddress {{.Host.Address}}\nbroker {{.Vars.broker}} qos {{.Vars.qos}}\n",
		"static.conf":  "{{.Host.Name}} stays as written\n",
	}, hostValuesSrc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckFiles(); err != nil {
		t.Fatalf("CheckFiles() = %v", err)
	}
	tests := []struct {
		host     int
		env      map[string]string
		vars     map[string]string
		rendered string
	}{
		{0, map[string]string{"DEVICE_ID": "gw-1", "LOG": "info"}, map[string]string{"broker": "10.0.0.1", "qos": "2"}, "client_id edge1\naddress 10.0.0.11\nbroker 10.0.0.1 qos 2\n"},
		{1, map[string]string{"DEVICE_ID": "gw-2", "LOG": "info"}, map[string]string{"broker": "10.0.0.1", "qos": "1"}, "client_id edge2\naddress 10.0.0.12\nbroker 10.0.0.1 qos 1\n"},
	}
	for _, tc := range tests {
		h := m.Hosts[tc.host]
		if diff := cmp.Diff(tc.env, m.HostEnv(h)); diff != "" {
			t.Errorf("%s: HostEnv (-want +got):\n%s", h.Name, diff)
		}
		if diff := cmp.Diff(tc.vars, m.HostVars(h)); diff != "" {
			t.Errorf("%s: HostVars (-want +got):\n%s", h.Name, diff)
		}
		got, err := m.Render(m.Service.Files[0], h)
		if err != nil || string(got) != tc.rendered {
			t.Errorf("%s: Render(template) = %q, %v, want %q", h.Name, got, err, tc.rendered)
		}
		if got, _ := m.Render(m.Service.Files[1], h); string(got) != "{{.Host.Name}} stays as written\n" {
			t.Errorf("%s: Render(not a template) = %q", h.Name, got)
		}
	}
	if m.Service.Env["DEVICE_ID"] != "none" {
		t.Errorf("a host's env changed the service's: %v", m.Service.Env)
	}
}

// TestCheckFiles: every file a deploy would send, and every template for
// every host, is checked before anything is sent, with the manifest line.
func TestCheckFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing source", map[string]string{"gw.conf.tmpl": "x"}, `deploy.yaml:8:7: error: service.files[1] (static.conf): open `},
		{"template syntax", map[string]string{"gw.conf.tmpl": "a\n{{.Host.Name\n", "static.conf": ""}, `deploy.yaml:7:7: error: service.files[0] (gw.conf.tmpl): template: gw.conf.tmpl:3: unclosed action started at gw.conf.tmpl:2`},
		{"unknown var on one host", map[string]string{"gw.conf.tmpl": "{{.Vars.qos}} {{.Vars.nope}}", "static.conf": ""}, `deploy.yaml:7:7: error: service.files[0] (gw.conf.tmpl): rendering for host "edge1": template: gw.conf.tmpl:1:21: executing "gw.conf.tmpl" at <.Vars.nope>: map has no entry for key "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := hostValuesManifest(t, tc.files, hostValuesSrc)
			if err != nil {
				t.Fatal(err)
			}
			err = m.CheckFiles()
			e, ok := err.(*Error)
			if !ok || e.ExitCode() != 3 || len(e.Diagnostics) != 1 {
				t.Fatalf("CheckFiles() = %v, want one diagnostic, exit 3", err)
			}
			got := e.Diagnostics[0].String()
			if i := strings.Index(got, "deploy.yaml:"); i >= 0 {
				got = got[i:]
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("CheckFiles() = %s\nwant prefix   %s", got, tc.want)
			}
		})
	}
}

func TestHostValuesErrors(t *testing.T) {
	t.Parallel()
	src := strings.Replace(hostValuesSrc, "env: {DEVICE_ID: gw-2}", `env: {DEVICE_ID: "a\nb", "bad-name": x}, vars: {"a-b": x}`, 1)
	src = strings.Replace(src, `vars: {broker: 10.0.0.1, qos: "1"}`, `vars: [x]`, 1)
	_, err := hostValuesManifest(t, nil, src)
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("Parse() = %v", err)
	}
	var got []string
	for _, d := range e.Diagnostics {
		s := d.String()
		got = append(got, s[strings.Index(s, "error: "):strings.IndexAny(s+"(", "(")])
	}
	want := []string{
		"error: vars must be a mapping of NAME: value, got a list",
		"error: hosts[1].env.DEVICE_ID has the control character U+000A at offset 1: it would break the line it is written on in the host's config ",
		`error: hosts[1].env: "bad-name" is not a valid environment variable name `,
		`error: hosts[1].vars: "a-b" is not a valid name `,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestServiceNetwork(t *testing.T) {
	t.Parallel()
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	img := "image: r/app@" + digest + "\n"
	m, err := Parse([]byte(img+"service: {name: app, network: plant_net, health: {tcp: 80}}\n"+host), "m.yaml")
	if err != nil || m.Service.Network != "plant_net" {
		t.Fatalf("Parse(network) = %v, %+v", err, m)
	}
	for src, want := range map[string]string{
		"service: {name: app, network: \"a b\", health: {tcp: 80}}\n" + host:                  `m.yaml:2:31: error: service.network "a b" is not a network name`,
		"service: {name: app, network: host, ports: [\"80:80\"], health: {tcp: 80}}\n" + host: "m.yaml:2:22: error: service.ports do not apply with network: host",
		"service: {name: app, network: n, health: {tcp: 80}}\n" + host + "strategy: native\n": "m.yaml:2:22: error: service.network does not apply to strategy native",
	} {
		_, err := Parse([]byte(img+src), "m.yaml")
		if err == nil || !strings.HasPrefix(err.(*Error).Diagnostics[0].String(), want) {
			t.Errorf("Parse(%s) = %v, want %s", src, err, want)
		}
	}
}
