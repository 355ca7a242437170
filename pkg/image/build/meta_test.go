package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// eventFile writes an event payload and returns its path.
func eventFile(t *testing.T, payload string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	mergeSHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	headSHA  = "1234567890abcdef1234567890abcdef12345678"
	pushSHA  = "fedcba9876543210fedcba9876543210fedcba98"
)

func TestTagsFromRef(t *testing.T) {
	t.Parallel()
	repo := `"repository": {"default_branch": "main", "license": {"spdx_id": "Apache-2.0"}, "description": "edge things"}`
	prEvent := `{"number": 42, "pull_request": {"number": 42, "head": {"sha": "` + headSHA + `"}}, ` + repo + `}`
	pushEvent := `{"head_commit": {"timestamp": "2026-03-01T12:00:00+01:00"}, ` + repo + `}`
	cases := []struct {
		name        string
		env         map[string]string
		event       string
		rules       []string // nil: DefaultTagRules
		want        []string
		wantVersion string
	}{
		{
			name:        "push to the default branch",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			want:        []string{"main", "sha-fedcba9", "latest"},
			wantVersion: "main",
		},
		{
			name:        "push to another branch, slashes sanitized",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/feature/new-radio", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			want:        []string{"feature-new-radio", "sha-fedcba9"},
			wantVersion: "feature-new-radio",
		},
		{
			name:        "pull request uses the head commit, not the merge commit",
			env:         map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/42/merge", "GITHUB_SHA": mergeSHA},
			event:       prEvent,
			want:        []string{"pr-42", "sha-1234567"},
			wantVersion: "pr-42",
		},
		{
			name:        "pull request number from the ref without a payload",
			env:         map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_SHA": mergeSHA},
			want:        []string{"pr-7", "sha-aaaaaaa"},
			wantVersion: "pr-7",
		},
		{
			name:        "release tag",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			want:        []string{"1.2.3", "1.2", "sha-fedcba9", "latest"},
			wantVersion: "1.2.3",
		},
		{
			name:        "prerelease tag gets its version only, no latest",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v2.0.0-rc.1", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			want:        []string{"2.0.0-rc.1", "sha-fedcba9"},
			wantVersion: "2.0.0-rc.1",
		},
		{
			name:        "non-semver tag",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/nightly", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			want:        []string{"sha-fedcba9"},
			wantVersion: "sha-fedcba9",
		},
		{
			name:        "major rule skips major 0",
			env:         map[string]string{"GITHUB_REF": "refs/tags/v0.4.1", "GITHUB_SHA": pushSHA},
			rules:       []string{"type=semver,pattern={{major}}", "type=semver,pattern={{major}}.{{minor}}", "type=semver,pattern=v{{version}}"},
			want:        []string{"0.4", "v0.4.1", "latest"},
			wantVersion: "0.4",
		},
		{
			name:        "custom rules: prefixes, long sha, raw, ref tag",
			env:         map[string]string{"GITHUB_REF": "refs/tags/v3.1.0", "GITHUB_SHA": pushSHA},
			rules:       []string{"type=ref,event=tag", "type=sha,format=long,prefix=git-", "edge", "type=raw,value=stable,enable=false", "type=semver,pattern={{major}},suffix=-arm"},
			want:        []string{"v3.1.0", "git-" + pushSHA, "edge", "3-arm", "latest"},
			wantVersion: "3-arm",
		},
		{
			name:        "latest only on the default branch",
			env:         map[string]string{"GITHUB_REF": "refs/heads/dev", "GITHUB_SHA": pushSHA},
			event:       pushEvent,
			rules:       []string{"type=raw,value=latest,enable={{is_default_branch}}"},
			want:        nil,
			wantVersion: "",
		},
		{
			name:        "outside Actions: nothing to derive",
			env:         map[string]string{},
			want:        nil,
			wantVersion: "",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.event != "" {
				env["GITHUB_EVENT_PATH"] = eventFile(t, tc.event)
			}
			g, err := GitHubFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("GitHubFromEnv() = %v", err)
			}
			rules := DefaultTagRules
			if tc.rules != nil {
				if rules, err = ParseTagRules(tc.rules); err != nil {
					t.Fatalf("ParseTagRules(%q) = %v", tc.rules, err)
				}
			}
			got, version := g.Tags(rules)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Tags() mismatch (-want +got):\n%s", diff)
			}
			if version != tc.wantVersion {
				t.Errorf("Tags() version = %q, want %q", version, tc.wantVersion)
			}
		})
	}
}

func TestParseTagRuleErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"type=semver", "type=semver needs pattern="},
		{"type=ref,event=push", "type=ref needs event=branch, event=tag or event=pr"},
		{"type=schedule", "type must be semver, ref, sha or raw"},
		{"type=raw", "type=raw needs value="},
		{"type=sha,format=tiny", "format=short or format=long"},
		{"type=raw,value=x,colour=red", `unknown key "colour"`},
		{"type=raw,value=x,enable=maybe", "enable must be"},
		{"-bad", "a tag is up to 128"},
		{"type=raw,value", `"value" is not key=value`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseTagRules([]string{tc.in})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseTagRules(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_REF":        "refs/pull/42/merge",
		"GITHUB_SHA":        mergeSHA,
		"GITHUB_REPOSITORY": "acme/edge-gateway",
		"GITHUB_SERVER_URL": "https://github.example.com",
		"GITHUB_EVENT_PATH": eventFile(t, `{"pull_request": {"number": 42, "head": {"sha": "`+headSHA+`"}}, "repository": {"default_branch": "main", "license": {"spdx_id": "MIT"}}}`),
	}
	g, err := GitHubFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, version := g.Tags(DefaultTagRules)
	got := g.Annotations(version, time.Unix(1700000000, 0))
	want := map[string]string{
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
		"org.opencontainers.image.source":   "https://github.example.com/acme/edge-gateway",
		"org.opencontainers.image.url":      "https://github.example.com/acme/edge-gateway",
		"org.opencontainers.image.title":    "edge-gateway",
		"org.opencontainers.image.revision": headSHA,
		"org.opencontainers.image.version":  "pr-42",
		"org.opencontainers.image.licenses": "MIT",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Annotations() mismatch (-want +got):\n%s", diff)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Parallel()
	commit := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	payload := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		env     map[string]string
		git     func() (time.Time, error)
		want    time.Time
		wantErr string
	}{
		{name: "SOURCE_DATE_EPOCH wins", env: map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "GITHUB_ACTIONS": "true"}, git: func() (time.Time, error) { return commit, nil }, want: time.Unix(1700000000, 0).UTC()},
		{name: "commit time in Actions", env: map[string]string{"GITHUB_ACTIONS": "true"}, git: func() (time.Time, error) { return commit, nil }, want: commit},
		{name: "payload time when git cannot tell", env: map[string]string{"GITHUB_ACTIONS": "true"}, git: func() (time.Time, error) { return time.Time{}, os.ErrNotExist }, want: payload},
		{name: "epoch 0 on a laptop", env: map[string]string{}, git: func() (time.Time, error) { return commit, nil }, want: time.Unix(0, 0).UTC()},
		{name: "bad value", env: map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, wantErr: `SOURCE_DATE_EPOCH "yesterday": want seconds since 1970`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := SourceDateEpoch(func(k string) string { return tc.env[k] }, GitHub{CommitTime: payload}, tc.git)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("SourceDateEpoch() = %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("SourceDateEpoch() = %v, %v, want %v", got, err, tc.want)
			}
		})
	}
}
