package gha

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateSummary(t *testing.T) {
	t.Parallel()
	table := "| a | b |\n|---|---|\n" + strings.Repeat("| 1 | 2 |\n", 20)
	cases := []struct {
		name     string
		markdown string
		limit    int
		want     string // "" means: check the properties only
	}{
		{"fits", "# ok\n", 100, "# ok\n"},
		{"exactly the limit", "12345", 5, "12345"},
		{"whole lines", "line one\nline two\n" + strings.Repeat("x", 200), len("line one\nline two\n") + len(truncatedNote) + 10, "line one\nline two\n" + truncatedNote},
		{"table rows stay whole", table, 100, ""},
		{"one long multibyte line", strings.Repeat("€", 200), len(truncatedNote) + 10, strings.Repeat("€", 3) + truncatedNote},
		{"no room for the note", strings.Repeat("x", 100), len(truncatedNote) - 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := TruncateSummary(tc.markdown, tc.limit)
			if tc.want != "" && got != tc.want {
				t.Errorf("TruncateSummary(%d bytes, %d) = %q, want %q", len(tc.markdown), tc.limit, got, tc.want)
			}
			if len(got) > tc.limit {
				t.Errorf("TruncateSummary() = %d bytes, over the limit %d", len(got), tc.limit)
			}
			if !utf8.ValidString(got) {
				t.Errorf("TruncateSummary() = %q, not valid UTF-8", got)
			}
			if len(tc.markdown) <= tc.limit || got == "" {
				return
			}
			kept, ok := strings.CutSuffix(got, truncatedNote)
			if !ok {
				t.Fatalf("TruncateSummary() = %q, want it to end with the note", got)
			}
			if !strings.HasPrefix(tc.markdown, kept) {
				t.Errorf("TruncateSummary() kept %q, not a prefix of the input", kept)
			}
			if strings.Contains(kept, "\n") && !strings.HasSuffix(kept, "\n") {
				t.Errorf("TruncateSummary() kept %q, which ends inside a line", kept)
			}
		})
	}
	if got := TruncateSummary(strings.Repeat("x", 100), len(truncatedNote)-1); got != "" {
		t.Errorf("TruncateSummary() with no room for the note = %q, want empty", got)
	}
}

func TestAddStepSummary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary")
	r, stdout, _ := newTestRunner(t, inActions("GITHUB_STEP_SUMMARY", path))
	for _, md := range []string{"## Verdict: pass", "| a |\n|---|\n| 1 |\n", ""} {
		if err := r.AddStepSummary(md); err != nil {
			t.Fatalf("AddStepSummary(%q) = %v", md, err)
		}
	}
	want := "## Verdict: pass\n| a |\n|---|\n| 1 |\n"
	if diff := cmpDiff(want, readFile(t, path)); diff != "" {
		t.Errorf("GITHUB_STEP_SUMMARY mismatch (-want +got):\n%s", diff)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}

func TestAddStepSummaryUnset(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{{}, inActions()} {
		r, stdout, stderr := newTestRunner(t, env)
		if err := r.AddStepSummary("# report"); err != nil {
			t.Errorf("AddStepSummary() without GITHUB_STEP_SUMMARY = %v, want nil", err)
		}
		if stdout.Len()+stderr.Len() != 0 {
			t.Errorf("AddStepSummary() without GITHUB_STEP_SUMMARY printed %q %q, want nothing", stdout, stderr)
		}
	}
}

func TestAddStepSummaryLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		already int
		add     string
		wantErr bool
	}{
		{"first summary too big", 0, strings.Repeat("| row |\n", SummaryLimit/8+100), false},
		{"second summary overflows", SummaryLimit - 1000, strings.Repeat("| row |\n", 1000), false},
		{"exact fit", SummaryLimit - 6, "12345", false},
		{"full", SummaryLimit - 10, strings.Repeat("x\n", 100), true},
		{"already over", SummaryLimit + 10, "x", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "summary")
			earlier := strings.Repeat("e", tc.already)
			if err := os.WriteFile(path, []byte(earlier), 0o600); err != nil {
				t.Fatal(err)
			}
			r, _, _ := newTestRunner(t, inActions("GITHUB_STEP_SUMMARY", path))
			err := r.AddStepSummary(tc.add)
			got := readFile(t, path)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "adding step summary") {
					t.Errorf("AddStepSummary() into a full summary = %v, want an error", err)
				}
				if got != earlier {
					t.Errorf("AddStepSummary() into a full summary changed the file")
				}
				return
			}
			if err != nil {
				t.Fatalf("AddStepSummary() = %v", err)
			}
			if len(got) > SummaryLimit {
				t.Errorf("summary is %d bytes, over SummaryLimit %d", len(got), SummaryLimit)
			}
			added, ok := strings.CutPrefix(got, earlier)
			if !ok {
				t.Fatalf("AddStepSummary() changed what was already in the summary")
			}
			want := tc.add
			if !strings.HasSuffix(want, "\n") {
				want += "\n"
			}
			wantTruncated := tc.already+len(want) > SummaryLimit
			kept, truncated := strings.CutSuffix(added, truncatedNote)
			if truncated != wantTruncated {
				t.Errorf("summary truncated = %v, want %v", truncated, wantTruncated)
			}
			if !wantTruncated && added != want {
				t.Errorf("added %q, want %q", added, want)
			}
			if !strings.HasPrefix(want, kept) {
				t.Errorf("added text is not a prefix of the summary")
			}
		})
	}
}
