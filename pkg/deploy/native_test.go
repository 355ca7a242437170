package deploy

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestSupervisorConf(t *testing.T) {
	t.Parallel()
	p := program{name: "app", command: []string{"/opt/xedgesim/app/current/hello", "-addr", ":8080", "it's 100%"},
		dir: "/opt/xedgesim/app/current", env: map[string]string{"MODE": `a "b"`, "A": "1"}, restart: "on-failure:3",
		logDir: "/opt/xedgesim/app/log", memory: "128m", cpus: 0.5, envFile: "/opt/xedgesim/app/service.env"}
	tests := []struct {
		name string
		sup  supervisor
		path string
		want string
	}{
		{"supervisord", supervisor{kind: manifest.SupervisorSupervisord, config: "/etc/supervisor/supervisord.conf", name: "app"},
			"/etc/supervisor/conf.d/app.conf", `; Written by xedgesim deploy d1: sha256:abc.
[program:app]
command='/opt/xedgesim/app/current/hello' '-addr' ':8080' 'it'\''s 100%%'
directory=/opt/xedgesim/app/current
autostart=true
autorestart=unexpected
startsecs=1
stopsignal=TERM
stopwaitsecs=10
environment=A="1",MODE='a "b"'
stdout_logfile=/opt/xedgesim/app/log/app.out.log
stderr_logfile=/opt/xedgesim/app/log/app.err.log
`},
		{"systemd", supervisor{kind: manifest.SupervisorSystemd, name: "app"},
			"/etc/systemd/system/app.service", `# Written by xedgesim deploy d1: sha256:abc.
[Unit]
Description=app (xedgesim)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/xedgesim/app/current/hello -addr :8080 "it's 100%%"
WorkingDirectory=/opt/xedgesim/app/current
EnvironmentFile=/opt/xedgesim/app/service.env
Restart=on-failure
RestartSec=1
MemoryMax=128M
CPUQuota=50%

[Install]
WantedBy=multi-user.target
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.sup.confPath(); got != tc.path {
				t.Errorf("confPath() = %q, want %q", got, tc.path)
			}
			if diff := cmp.Diff(tc.want, tc.sup.conf(p, "d1", "sha256:abc")); diff != "" {
				t.Errorf("conf() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, state, pid string }{
		{"app                              RUNNING   pid 4242, uptime 0:00:05", "RUNNING", "4242"},
		{"app                              BACKOFF   Exited too quickly (process log may have details)", "BACKOFF", ""},
		{"app                              FATAL     Exited too quickly", "FATAL", ""},
	}
	for _, tc := range tests {
		m := statusLine.FindStringSubmatch(tc.in)
		if m == nil || m[1] != "app" || m[2] != tc.state || m[3] != tc.pid {
			t.Errorf("statusLine(%q) = %q, want %s %s", tc.in, m, tc.state, tc.pid)
		}
	}
}

// layer is a tar layer of the given entries.
func layer(t *testing.T, entries ...tar.Header) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		body := []byte(h.Linkname)
		if h.Typeflag == tar.TypeReg {
			body = []byte("binary " + h.Name)
			h.Size = int64(len(body))
			h.Linkname = ""
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	data := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestExtractFile(t *testing.T) {
	t.Parallel()
	img, err := mutate.AppendLayers(empty.Image,
		layer(t, tar.Header{Name: "ko-app/hello", Typeflag: tar.TypeReg, Mode: 0o755}, tar.Header{Name: "old", Typeflag: tar.TypeReg}),
		layer(t, tar.Header{Name: "usr/local/bin/hello", Typeflag: tar.TypeSymlink, Linkname: "../../../ko-app/hello"},
			tar.Header{Name: "app", Typeflag: tar.TypeSymlink, Linkname: "/usr/local/bin/hello"},
			tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "ko-app/hello"},
			tar.Header{Name: ".wh.old", Typeflag: tar.TypeReg},
			tar.Header{Name: "loop", Typeflag: tar.TypeSymlink, Linkname: "loop"},
			tar.Header{Name: "etc", Typeflag: tar.TypeDir, Mode: 0o755}),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("binary ko-app/hello"))
	for _, p := range []string{"/ko-app/hello", "/usr/local/bin/hello", "/app", "/hard", "ko-app/../ko-app/hello"} {
		f, sum, size, err := extractFile(img, p)
		if err != nil {
			t.Errorf("extractFile(%s) = %v", p, err)
			continue
		}
		data, _ := io.ReadAll(f)
		f.Close()
		if sum != hex.EncodeToString(want[:]) || size != int64(len(data)) || string(data) != "binary ko-app/hello" {
			t.Errorf("extractFile(%s) = %q, %s, %d", p, data, sum, size)
		}
	}
	for _, p := range []string{"/old", "/nope", "/etc", "/loop"} {
		_, _, _, err := extractFile(img, p)
		var ie *InputError
		if !errors.As(err, &ie) || exitcode.Of(err) != exitcode.Invalid {
			t.Errorf("extractFile(%s) = %v, want bad input (exit 3)", p, err)
		}
	}
}

func TestNativeCommand(t *testing.T) {
	t.Parallel()
	img, err := mutate.Config(empty.Image, v1.Config{Entrypoint: []string{"/ko-app/hello", "-v"}, Cmd: []string{"-addr", ":80"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, binary string
		command      []string
		wantBin      string
		wantArgs     []string
	}{
		{"entrypoint", "", nil, "/ko-app/hello", []string{"-v", "-addr", ":80"}},
		{"entrypoint, service command", "", []string{"-x"}, "/ko-app/hello", []string{"-x"}},
		{"binary", "/app", nil, "/app", nil},
		{"binary and command", "/app", []string{"-x"}, "/app", []string{"-x"}},
	}
	for _, tc := range tests {
		bin, args, err := nativeCommand(img, tc.binary, tc.command)
		if err != nil || bin != tc.wantBin || !cmp.Equal(args, tc.wantArgs) {
			t.Errorf("%s: nativeCommand() = %q, %q, %v; want %q, %q", tc.name, bin, args, err, tc.wantBin, tc.wantArgs)
		}
	}
	if _, _, err := nativeCommand(empty.Image, "", nil); exitcode.Of(err) != exitcode.Invalid {
		t.Errorf("nativeCommand(no entrypoint) = %v, want bad input", err)
	}
}

// TestSystemdUnitVerifies has systemd check the unit it would install: the
// bed has no systemd running, but systemd-analyze reads units without it.
// It reports mistakes such as an unknown Restart= value as warnings, so
// any output fails the test.
func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if testbed.Required() {
			t.Fatalf("systemd-analyze is missing (scripts/testbed up installs systemd): %v", err)
		}
		t.Skip("no systemd-analyze")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "hello")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sup := supervisor{kind: manifest.SupervisorSystemd, name: "xs-app"}
	for _, restart := range []string{"unless-stopped", "no", "on-failure:3", "always"} {
		p := program{name: "xs-app", command: []string{exe, "-addr", ":8080", "a b", "100%", `"q"`, "$HOME"}, dir: dir,
			env: map[string]string{"MODE": `a "b" $x`}, restart: restart, memory: "64m", cpus: 1.5}
		unit := filepath.Join(dir, "xs-app.service")
		if err := os.WriteFile(unit, []byte(sup.conf(p, "d1", "sha256:abc")), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "verify", unit).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("restart %s: systemd-analyze verify: %v\n%s", restart, err, out)
		}
	}
	// The check can fail.
	bad := filepath.Join(dir, "xs-bad.service")
	os.WriteFile(bad, []byte("[Service]\nExecStart="+exe+"\nRestart=sometimes\n"), 0o644)
	if out, _ := exec.Command(tool, "verify", bad).CombinedOutput(); len(out) == 0 {
		t.Errorf("systemd-analyze verify accepts Restart=sometimes")
	}
}
