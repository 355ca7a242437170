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
			jobEnv := filepath.Join(tmp, "github_env")
			cmd := exec.Command("bash", "actions/lib/prepare.sh")
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "INPUT_VERSION="+tc.version, "RUNNER_TEMP="+tmp, "GITHUB_OUTPUT="+out,
				"GITHUB_ENV="+jobEnv, "XEDGESIM_RELEASE_URL="+srv.URL, "XEDGESIM_TEST_MARK="+mark, "RUNNER_OS=Linux")
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
			// The download recorded the binary's SHA-256 in the job's
			// environment, which the runner gives every later step.
			record := jobRecord(t, jobEnv)
			if want := " " + goodSum; !strings.HasSuffix(record, want) {
				t.Errorf("XEDGESIM_PREPARED = %q, want <key>%s", record, want)
			}
			// A second use in the job reuses the verified binary without
			// asking the server again.
			again := exec.Command("bash", "actions/lib/prepare.sh")
			again.Dir, again.Env = cmd.Dir, append(cmd.Env, "XEDGESIM_PREPARED="+record)
			log, err = again.CombinedOutput()
			if err != nil || !strings.Contains(string(log), "Reusing") || int(hits.Load()) != tc.hits {
				t.Errorf("second run: %v, %d requests in all\n%s", err, hits.Load(), log)
			}
		})
	}
}

// jobRecord returns the last XEDGESIM_PREPARED that prepare.sh or build.sh
// wrote to the job's environment file.
func jobRecord(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the job's environment: %v", err)
	}
	record := ""
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "XEDGESIM_PREPARED="); ok {
			record = v
		}
	}
	if record == "" {
		t.Fatalf("no XEDGESIM_PREPARED in the job's environment:\n%s", b)
	}
	return record
}

// TestPrepareRefusesPlantedBinary plants a binary where the actions keep
// theirs, as an earlier step of the job could (a build script, a pull
// request's test), and swaps a verified one for another, as a later step
// could. A binary is reused only if its SHA-256 is the one recorded in the
// job's environment when it was verified or built: a planted one is
// replaced (a marker file beside it proves nothing), a swapped one is
// refused, and neither ever runs.
func TestPrepareRefusesPlantedBinary(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("the asset names below are for linux/amd64 and linux/arm64")
	}
	asset := "xedgesim-linux-" + runtime.GOARCH
	good := sha256.Sum256([]byte(fakeBinary))
	goodSum := hex.EncodeToString(good[:])
	const planted = "#!/bin/sh\necho planted >> \"$XEDGESIM_TEST_MARK\"\n"
	plantedSum := sha256.Sum256([]byte(planted))
	script := readFile(t, filepath.Join(repoRoot(t), "actions/lib/prepare.sh"))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v9.9.9/"+asset {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, fakeBinary)
	}))
	t.Cleanup(srv.Close) // after the parallel subtests

	// setup returns a run of prepare.sh in a fresh action source and job
	// (with or without a release), and the job's temp directory.
	setup := func(t *testing.T, release bool) (func(version string, env ...string) (string, int), string) {
		src, tmp := t.TempDir(), t.TempDir()
		files := map[string]string{
			"actions/lib/prepare.sh": script,
			"go.mod":                 "module example.com/x\n\ngo 1.24\n",
			"go.sum":                 "",
			"cmd/x/main.go":          "package main\n\nfunc main() {}\n",
			"internal/doc.go":        "package internal\n",
			"pkg/doc.go":             "package pkg\n",
		}
		if release {
			files["release/version"] = "v9.9.9\n"
			files["release/checksums.txt"] = goodSum + "  " + asset + "\n"
		}
		writeFiles(t, src, files)
		return func(version string, env ...string) (string, int) {
			cmd := exec.Command("bash", "actions/lib/prepare.sh")
			cmd.Dir = src
			cmd.Env = append(append(os.Environ(), "INPUT_VERSION="+version, "RUNNER_TEMP="+tmp,
				"GITHUB_OUTPUT="+filepath.Join(tmp, "github_output"), "GITHUB_ENV="+filepath.Join(tmp, "github_env"),
				"XEDGESIM_RELEASE_URL="+srv.URL, "XEDGESIM_TEST_MARK="+filepath.Join(tmp, "mark"), "RUNNER_OS=Linux"), env...)
			log, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return string(log), code
		}, tmp
	}
	output := func(t *testing.T, tmp, name string) string {
		b, _ := os.ReadFile(filepath.Join(tmp, "github_output"))
		v := ""
		for line := range strings.Lines(string(b)) {
			if after, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
				v = after
			}
		}
		return v
	}
	plant := func(t *testing.T, tmp, key string) string {
		bin := filepath.Join(tmp, "xedgesim-bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "xedgesim"), []byte(planted), 0o755); err != nil {
			t.Fatal(err)
		}
		// The marker the earlier prepare.sh trusted alone.
		if err := os.WriteFile(filepath.Join(bin, "source.sha256"), []byte(key+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(bin, "xedgesim")
	}
	ranPlanted := func(t *testing.T, tmp string) bool {
		b, _ := os.ReadFile(filepath.Join(tmp, "mark"))
		return strings.Contains(string(b), "planted")
	}

	t.Run("planted before the first prepare, source build", func(t *testing.T) {
		t.Parallel()
		run, tmp := setup(t, false)
		if log, code := run("source"); code != 0 {
			t.Fatalf("exit %d\n%s", code, log)
		}
		key := output(t, tmp, "key")
		bin := plant(t, tmp, key)
		log, code := run("auto")
		if code != 0 || output(t, tmp, "build") != "true" || strings.Contains(log, "Reusing") {
			t.Errorf("exit %d, build=%s; want 0 and a build instead of the planted binary\n%s", code, output(t, tmp, "build"), log)
		}
		if !strings.Contains(log, "Not reusing") {
			t.Errorf("the log does not say the binary was not reused:\n%s", log)
		}
		if _, err := os.Stat(bin); err == nil {
			t.Errorf("the planted binary is still in place")
		}
		if ranPlanted(t, tmp) {
			t.Errorf("the planted binary ran")
		}
	})

	t.Run("planted with a forged record of another source", func(t *testing.T) {
		t.Parallel()
		run, tmp := setup(t, true)
		bin := plant(t, tmp, "whatever")
		log, code := run("auto", "XEDGESIM_PREPARED=0000 "+hex.EncodeToString(plantedSum[:]))
		if code != 0 || !strings.Contains(log, "Verified "+asset) {
			t.Errorf("exit %d; want the release binary downloaded and verified instead\n%s", code, log)
		}
		if got := readFile(t, bin); got != fakeBinary {
			t.Errorf("the binary in place is %q, want the verified release", got)
		}
		if ranPlanted(t, tmp) {
			t.Errorf("the planted binary ran")
		}
	})

	for _, release := range []bool{true, false} {
		t.Run(fmt.Sprintf("swapped after it was verified (release %v)", release), func(t *testing.T) {
			t.Parallel()
			run, tmp := setup(t, release)
			var record string
			if release {
				if log, code := run("auto"); code != 0 {
					t.Fatalf("exit %d\n%s", code, log)
				}
				record = jobRecord(t, filepath.Join(tmp, "github_env"))
			} else {
				// What build.sh records after a build from source.
				if log, code := run("source"); code != 0 {
					t.Fatalf("exit %d\n%s", code, log)
				}
				record = output(t, tmp, "key") + " " + goodSum
				bin := filepath.Join(tmp, "xedgesim-bin")
				if err := os.MkdirAll(bin, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(bin, "xedgesim"), []byte(fakeBinary), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// Unchanged, it is reused.
			if log, code := run("auto", "XEDGESIM_PREPARED="+record); code != 0 || !strings.Contains(log, "Reusing") {
				t.Fatalf("exit %d, want the binary reused\n%s", code, log)
			}
			bin := plant(t, tmp, strings.Fields(record)[0])
			log, code := run("auto", "XEDGESIM_PREPARED="+record)
			if code != 1 {
				t.Errorf("exit %d, want 1 (refused)\n%s", code, log)
			}
			want := "has SHA-256 " + hex.EncodeToString(plantedSum[:]) + ", but the binary prepared in this job had " + goodSum
			if !strings.Contains(log, "::error title=xedgesim::") || !strings.Contains(log, want) {
				t.Errorf("the log lacks the error %q:\n%s", want, log)
			}
			if _, err := os.Stat(bin); err == nil {
				t.Errorf("the swapped binary was left in place")
			}
			if ranPlanted(t, tmp) {
				t.Errorf("the swapped binary ran")
			}
		})
	}
}
