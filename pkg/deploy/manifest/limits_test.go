package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamedFilesAreBounded: a compose file of /dev/zero was read until
// memory ran out, and a FIFO hung the load; files: sources were opened at
// deploy time whatever they were. Each is now refused at load, exit 3, at
// the manifest line that names it.
func TestNamedFilesAreBounded(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{"compose.yaml": composeYAML, "app.conf": "x=1\n"})
	m := func(name string) string { return filepath.Join(dir, name) }
	if err := syscall.Mkfifo(m("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Sparse: the size without the disk space.
	for name, size := range map[string]int64{"big.yaml": MaxFileSize + 1, "big.bin": MaxCopySize + 1} {
		f, err := os.Create(m(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	head := "image: r/app@" + digest + "\n" + `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	svc := "service: {name: app, health: {tcp: 80}}\n"
	files := func(src string) string {
		return "service: {name: app, health: {tcp: 80}, files: [{src: " + src + ", dst: /etc/app.conf}]}\n"
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"compose /dev/zero", svc + "strategy: {compose: {file: /dev/zero}}\n", ":4:28: error: reading the compose file: open /dev/zero: not a regular file (a character device) (name a regular file)"},
		{"compose FIFO", svc + "strategy: {compose: {file: fifo}}\n", ":4:28: error: reading the compose file: open " + m("fifo") + ": not a regular file (a FIFO)"},
		{"compose directory", svc + "strategy: {compose: {file: .}}\n", ":4:28: error: reading the compose file: open " + m(".") + ": not a regular file (a directory)"},
		{"compose too large", svc + "strategy: {compose: {file: big.yaml}}\n", ":4:28: error: reading the compose file: open " + m("big.yaml") + ": the file is larger than the limit of 4 MiB"},
		{"files /dev/zero", files("/dev/zero"), `:3:49: error: service.files[0].src "/dev/zero" is not a regular file (name a regular file)`},
		{"files FIFO", files("fifo"), `:3:49: error: service.files[0].src "fifo" is not a regular file`},
		{"files too large", files("big.bin"), `:3:49: error: service.files[0].src "big.bin" is larger than the limit of 64 MiB`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "deploy.yaml")
			// Relative names resolve against the manifest's directory.
			src := strings.ReplaceAll(tc.src, "file: fifo", "file: "+m("fifo"))
			src = strings.ReplaceAll(src, "file: .}", "file: "+dir+"}")
			src = strings.ReplaceAll(src, "file: big.yaml", "file: "+m("big.yaml"))
			src = strings.ReplaceAll(src, "src: fifo", "src: "+m("fifo"))
			src = strings.ReplaceAll(src, "src: big.bin", "src: "+m("big.bin"))
			if err := os.WriteFile(path, []byte(head+src), 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(path)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatal("Load did not return")
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Load() = %v, want an *Error", err)
			}
			if e.ExitCode() != 3 || len(e.Diagnostics) != 1 {
				t.Fatalf("exit %d, %d diagnostics: %v", e.ExitCode(), len(e.Diagnostics), err)
			}
			want := tc.want
			for _, name := range []string{"fifo", "big.yaml", "big.bin"} {
				want = strings.ReplaceAll(want, `"`+name+`"`, `"`+m(name)+`"`)
			}
			if got := e.Diagnostics[0].String(); !strings.HasPrefix(got, path+want) {
				t.Errorf("got  %s\nwant %s%s", got, path, want)
			}
		})
	}
	// The manifest itself.
	for _, p := range []string{"/dev/zero", m("fifo")} {
		_, err := Load(p)
		if e, ok := err.(*Error); !ok || e.ExitCode() != 3 || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Load(%s) = %v", p, err)
		}
	}
	// A regular file within the limits is fine.
	if _, err := Parse([]byte(head+files(m("app.conf"))), filepath.Join(dir, "deploy.yaml")); err != nil {
		t.Errorf("a small regular file: %v", err)
	}
}
