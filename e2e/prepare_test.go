package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeBinary stands in for a released xedgesim: run, it leaves a mark, so
// a test can tell whether it was ever executed.
const fakeBinary = "#!/bin/sh\necho ran >> \"$XEDGESIM_TEST_MARK\"\necho 'xedgesim v9.9.9 (fake)'\n"

// TestPrepareReleaseBinary runs actions/lib/prepare.sh, the first step of
// every composite action, against a local HTTP server standing in for the
// release downloads. A binary whose SHA-256 matches release/checksums.txt
// of the action's source is installed and run; one that does not is
// refused, removed and never run; without a release the step asks for a
// build from source, and with version: release it fails instead.
func TestPrepareReleaseBinary(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("the asset names below are for linux/amd64 and linux/arm64")
	}
	asset := "xedgesim-linux-" + runtime.GOARCH
	good := sha256.Sum256([]byte(fakeBinary))
	goodSum := hex.EncodeToString(good[:])

	tests := []struct {
		name      string
		version   string // the input
		release   string // release/version in the action's source; "" for none
		checksum  string // for asset in release/checksums.txt
		serve     bool   // the server has the asset
		code      int
		outputs   []string
		log       []string
		installed bool // the binary is in place and was run
		hits      int
	}{
		{"verified download", "auto", "v9.9.9", goodSum, true, 0, []string{"build=false", "setup-go=false"}, []string{"Verified " + asset + " of v9.9.9", "xedgesim v9.9.9 (fake)"}, true, 1},
		{"empty input is auto", "", "v9.9.9", goodSum, true, 0, []string{"build=false"}, []string{"Verified"}, true, 1},
		{"checksum mismatch", "auto", "v9.9.9", strings.Repeat("0", 64), true, 1, nil, []string{"::error title=xedgesim::", "has SHA-256 " + goodSum + ", but release/checksums.txt of this action says " + strings.Repeat("0", 64) + "; refusing to run it"}, false, 1},
		{"mismatch with version release", "release", "v9.9.9", strings.Repeat("1", 64), true, 1, nil, []string{"refusing to run it"}, false, 1},
		{"no asset on the server", "auto", "v9.9.9", goodSum, false, 0, []string{"build=true"}, []string{"Could not download", "Building from source instead."}, false, 1},
		{"no asset, release required", "release", "v9.9.9", goodSum, false, 1, nil, []string{"input \"version\" is release, but no verified release binary"}, false, 1},
		{"no release named", "auto", "", goodSum, true, 0, []string{"build=true"}, []string{"names no release"}, false, 0},
		{"no checksum for this platform", "auto", "v9.9.9", "", true, 0, []string{"build=true"}, []string{"has no " + asset + " in release/checksums.txt"}, false, 0},
		{"source", "source", "v9.9.9", goodSum, true, 0, []string{"build=true"}, nil, false, 0},
		{"bad input", "nightly", "v9.9.9", goodSum, true, 3, nil, []string{`input "version": "nightly" is not one of auto, release, source`}, false, 0},
	}
	root := repoRoot(t)
	script := readFile(t, filepath.Join(root, "actions/lib/prepare.sh"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if !tc.serve || r.URL.Path != "/v9.9.9/"+asset {
					http.NotFound(w, r)
					return
				}
				fmt.Fprint(w, fakeBinary)
			}))
			defer srv.Close()

			src, tmp := t.TempDir(), t.TempDir()
			files := map[string]string{
				"actions/lib/prepare.sh": script,
				"go.mod":                 "module example.com/x\n\ngo 1.24\n",
				"go.sum":                 "",
				"cmd/x/main.go":          "package main\n\nfunc main() {}\n",
				"internal/doc.go":        "package internal\n",
				"pkg/doc.go":             "package pkg\n",
			}
			if tc.release != "" {
				files["release/version"] = tc.release + "\n"
			}
			if tc.checksum != "" {
				files["release/checksums.txt"] = tc.checksum + "  " + asset + "\n" + strings.Repeat("f", 64) + "  xedgesim-darwin-arm64\n"
			}
			writeFiles(t, src, files)
			out, mark := filepath.Join(tmp, "github_output"), filepath.Join(tmp, "mark")
			cmd := exec.Command("bash", "actions/lib/prepare.sh")
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "INPUT_VERSION="+tc.version, "RUNNER_TEMP="+tmp, "GITHUB_OUTPUT="+out,
				"XEDGESIM_RELEASE_URL="+srv.URL, "XEDGESIM_TEST_MARK="+mark, "RUNNER_OS=Linux")
			log, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, log)
			}
			for _, want := range tc.log {
				if !strings.Contains(string(log), want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			outputs, _ := os.ReadFile(out)
			for _, want := range tc.outputs {
				if !strings.Contains(string(outputs), want+"\n") {
					t.Errorf("outputs lack %q:\n%s", want, outputs)
				}
			}
			if got := int(hits.Load()); got != tc.hits {
				t.Errorf("the server was asked %d times, want %d", got, tc.hits)
			}
			bin := filepath.Join(tmp, "xedgesim-bin", "xedgesim")
			_, statErr := os.Stat(bin)
			_, markErr := os.Stat(mark)
			if installed, ran := statErr == nil, markErr == nil; installed != tc.installed || ran != tc.installed {
				t.Errorf("binary installed %v, run %v; want %v", installed, ran, tc.installed)
			}
			if _, err := os.Stat(bin + ".download"); err == nil {
				t.Errorf("the download was left on disk")
			}
			if !tc.installed {
				return
			}
			// A second use in the job reuses the verified binary without
			// asking the server again.
			again := exec.Command("bash", "actions/lib/prepare.sh")
			again.Dir, again.Env = cmd.Dir, cmd.Env
			log, err = again.CombinedOutput()
			if err != nil || !strings.Contains(string(log), "Reusing") || int(hits.Load()) != tc.hits {
				t.Errorf("second run: %v, %d requests in all\n%s", err, hits.Load(), log)
			}
		})
	}
}
