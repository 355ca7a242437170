package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSeedsAreBounded: --seeds ending at the largest int64 used to wrap
// around and list seeds until memory ran out; a spec of many ranges could
// name more seeds than the per-range bound. The binary runs under a deadline
// so a regression fails instead of eating the machine.
func TestSeedsAreBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		seeds string
		code  int
		want  []int64 // the plan's seeds when code is 0
		msg   string  // in stderr when code is not 0
	}{
		{"the largest seed", "9223372036854775807", 0, []int64{9223372036854775807}, ""},
		{"a range ending at the largest seed", "9223372036854775806-9223372036854775807", 0, []int64{9223372036854775806, 9223372036854775807}, ""},
		{"a range too long", "0-9223372036854775807", 3, nil, "more than 100000 seeds"},
		{"past int64", "9223372036854775807-9223372036854775808", 3, nil, "is not a range"},
		{"too many in all", "1-60000,60001-120000", 3, nil, "more than 100000 seeds"},
		{"a negative seed", "-5", 0, []int64{-5}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, xedgesim, "simulate", "--plan", "--seeds", tc.seeds, m0)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("--seeds %s did not end within a minute", tc.seeds)
			}
			code := cmd.ProcessState.ExitCode()
			if code != tc.code {
				t.Fatalf("--seeds %s: exit %d (%v), want %d\n%s", tc.seeds, code, err, tc.code, errb.String())
			}
			if code != 0 {
				if !strings.Contains(errb.String(), tc.msg) {
					t.Errorf("stderr %q does not say %q", errb.String(), tc.msg)
				}
				return
			}
			var m matrix
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range m.Include {
				got = append(got, *e.Seed)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan seeds (-want +got):\n%s", diff)
			}
		})
	}
}
