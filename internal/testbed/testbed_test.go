package testbed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sample = `# Written by scripts/testbed up
XEDGESIM_TESTBED_REGISTRY=127.0.0.1:5010
XEDGESIM_TESTBED_REGISTRY_EDGE=10.77.0.1:5010
XEDGESIM_TESTBED_TLS_REGISTRY=127.0.0.1:5011
XEDGESIM_TESTBED_TLS_REGISTRY_CA=/bed/pki/ca.crt
XEDGESIM_TESTBED_TLS_REGISTRY_USER=xedgesim
XEDGESIM_TESTBED_TLS_REGISTRY_PASSWORD=s3cret=x
XEDGESIM_TESTBED_SSH_KEY=/bed/ssh/id_ed25519
XEDGESIM_TESTBED_SSH_KNOWN_HOSTS=/bed/ssh/known_hosts
XEDGESIM_TESTBED_EDGES='edge1 edge3'
XEDGESIM_TESTBED_EDGE1_ADDR=10.77.1.2
XEDGESIM_TESTBED_EDGE1_SSH_PORT=22
XEDGESIM_TESTBED_EDGE1_SSH_USER=root
XEDGESIM_TESTBED_EDGE1_KNOWN_HOSTS='10.77.1.2 ssh-ed25519 AAAA'
XEDGESIM_TESTBED_EDGE1_PLATFORM=linux/amd64
XEDGESIM_TESTBED_EDGE3_ADDR=10.77.3.2
XEDGESIM_TESTBED_EDGE3_SSH_PORT=2222
XEDGESIM_TESTBED_EDGE3_PLATFORM=linux/arm64
XEDGESIM_TESTBED_BUILDX_BUILDER=xedgesim
XEDGESIM_TESTBED_FUTURE_KEY=later
`

func TestParse(t *testing.T) {
	got, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := &Env{
		Registry: Registry{Host: "127.0.0.1:5010", EdgeHost: "10.77.0.1:5010"},
		TLSRegistry: Registry{
			Host: "127.0.0.1:5011", CAFile: "/bed/pki/ca.crt",
			Username: "xedgesim", Password: "s3cret=x",
		},
		Edges: []Edge{
			{
				Name: "edge1", Addr: "10.77.1.2", SSHPort: 22, User: "root",
				KeyFile: "/bed/ssh/id_ed25519", KnownHosts: "10.77.1.2 ssh-ed25519 AAAA",
				KnownHostsFile: "/bed/ssh/known_hosts", Platform: "linux/amd64",
			},
			{
				Name: "edge3", Addr: "10.77.3.2", SSHPort: 2222,
				KeyFile: "/bed/ssh/id_ed25519", KnownHostsFile: "/bed/ssh/known_hosts",
				Platform: "linux/arm64",
			},
		},
		Builder: Builder{Name: "xedgesim"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Env{})); diff != "" {
		t.Errorf("parse (-want +got):\n%s", diff)
	}
	if v := got.Var("FUTURE_KEY"); v != "later" {
		t.Errorf("Var(FUTURE_KEY) = %q, want %q", v, "later")
	}
	if e, ok := got.EdgeFor("linux/arm64"); !ok || e.Name != "edge3" {
		t.Errorf("EdgeFor(linux/arm64) = %q, %v; want edge3", e.Name, ok)
	}
	if _, ok := got.Edge("edge2"); ok {
		t.Error("Edge(edge2) found an edge the file does not list")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no equals sign", "XEDGESIM_TESTBED_REGISTRY\n", "line 1: want KEY=value"},
		{"empty key", "\n=value\n", "line 2: want KEY=value"},
		{"bad port", "XEDGESIM_TESTBED_EDGES=edge1\nXEDGESIM_TESTBED_EDGE1_SSH_PORT=ssh\n", "EDGE1_SSH_PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

// fakeTB records what Need does instead of stopping the test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Skip(args ...any)  { f.skipped = args[0].(string) }
func (f *fakeTB) Fatal(args ...any) { f.failed = args[0].(string) }

func TestNeedMissingPart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "testbed.env")
	// 127.0.0.1:1 refuses: the registry is listed but not up.
	if err := os.WriteFile(file, []byte("XEDGESIM_TESTBED_REGISTRY=127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, required string
		parts                []Part
		wantSkip, wantFail   bool
		wantIn               string
	}{
		{"no env file, skip", filepath.Join(dir, "none.env"), "", []Part{PartRegistry}, true, false, "reading env file"},
		{"no env file, required", filepath.Join(dir, "none.env"), "1", []Part{PartRegistry}, false, true, "reading env file"},
		{"registry down, skip", file, "0", []Part{PartRegistry}, true, false, "registry: dial tcp 127.0.0.1:1"},
		{"act not listed, required", file, "1", []Part{PartAct}, false, true, "act: a path is missing"},
		{"no parts asked", file, "1", nil, false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvFile, tc.file)
			t.Setenv(EnvRequired, tc.required)
			tb := &fakeTB{TB: t}
			env := Need(tb, tc.parts...)
			if got := tb.skipped != ""; got != tc.wantSkip {
				t.Errorf("skipped = %v (%q), want %v", got, tb.skipped, tc.wantSkip)
			}
			if got := tb.failed != ""; got != tc.wantFail {
				t.Errorf("failed = %v (%q), want %v", got, tb.failed, tc.wantFail)
			}
			if msg := tb.skipped + tb.failed; !strings.Contains(msg, tc.wantIn) {
				t.Errorf("message %q does not name %q", msg, tc.wantIn)
			}
			if (env != nil) != (!tc.wantSkip && !tc.wantFail) {
				t.Errorf("Need returned env = %v with skip=%v fail=%v", env != nil, tc.wantSkip, tc.wantFail)
			}
		})
	}
}
