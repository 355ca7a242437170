package manifest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/internal/ident"
)

// FuzzParse checks that no manifest panics the loader, that the same input
// always gives the same result, and that what loads keeps the manifest's
// promises: a digest, named hosts and services of the name charset, one
// health check. The seed corpus (testdata/fuzz/FuzzParse) runs with every
// go test. Run with
//
//	go test -run '^$' -fuzz FuzzParse ./pkg/deploy/manifest/
func FuzzParse(f *testing.F) {
	img := "image: r/app@" + digest + "\n"
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	for _, s := range []string{
		img + "service: {name: app, health: {tcp: 80}}\n" + host,
		img + "service: {name: app, env: {A: b}, command: [x, y], files: [{src: a, dst: /b, mode: '0600'}], health: {http: {port: 8080, path: /h}}}\n" + host + "rollout: {canary: 1, batch: 2}\n",
		img + "service: {name: app, health: {mqtt: {port: 1883, topic: t}}}\nstrategy: {native: {}}\n" + host,
		img + "service: {name: app, health: {cmd: true}}\nhosts: [{name: l, local: true}]\n",
		img + "service: {name: a/b, health: {tcp: 80}}\n" + host,
		"image: &i r/app@" + digest + "\nservice: {name: *i}\n",
		"a: &a [*a]\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/deploy.yaml"
		m, err := Parse(data, name)
		m2, err2 := Parse(data, name)
		if diff := cmp.Diff(m, m2, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("two parses differ:\n%s", diff)
		}
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("two parses give different errors")
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Diagnostics) == 0 || m != nil || e.ExitCode() != 3 {
				t.Fatalf("error %T %v with manifest %v", err, err, m)
			}
			for _, d := range e.Diagnostics {
				if d.Message == "" || d.Pos.File == "" || d.Pos.Line < 0 || d.Pos.Col < 0 {
					t.Fatalf("bad diagnostic %#v", d)
				}
			}
			return
		}
		if len(m.Hosts) == 0 || m.Service.Health.Kind() == "none" {
			t.Fatalf("loaded without hosts or health: %+v", m)
		}
		if !ident.Valid(m.Service.Name) {
			t.Fatalf("service name %q", m.Service.Name)
		}
		for _, h := range m.Hosts {
			if !ident.Valid(h.Name) {
				t.Fatalf("host name %q", h.Name)
			}
		}
	})
}
