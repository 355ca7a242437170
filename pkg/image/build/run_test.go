package build

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// planView is a plan in comparable form.
type planView struct {
	Outputs     []Output
	Platforms   []string
	Tags        []string
	Created     string
	Labels      map[string]string
	Annotations map[string]string
}

func viewOf(p *plan) planView {
	v := planView{Outputs: p.outputs, Created: p.created.Format(time.RFC3339), Labels: p.labels, Annotations: p.annotations}
	for _, pl := range p.platforms {
		v.Platforms = append(v.Platforms, PlatformString(pl))
	}
	for _, t := range p.tags {
		v.Tags = append(v.Tags, t.String())
	}
	return v
}

// TestRequestPlan checks the build verb's policy without building: which
// outputs, platforms and tags, the image's time, and the Actions context's
// annotations under the request's own.
func TestRequestPlan(t *testing.T) {
	t.Parallel()
	prEvent := eventFile(t, `{"pull_request": {"number": 17, "head": {"sha": "`+headSHA+`"}}, "repository": {"default_branch": "main"}}`)
	pr := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/17/merge",
		"GITHUB_SHA": mergeSHA, "GITHUB_REPOSITORY": "acme/hello", "GITHUB_EVENT_PATH": prEvent,
		"SOURCE_DATE_EPOCH": "1700000000",
	}
	oci := Output{Kind: OutputOCI, Path: "out/hello"}
	docker := Output{Kind: OutputDocker}
	registry := Output{Kind: OutputRegistry}
	epoch := "1970-01-01T00:00:00Z"
	cases := []struct {
		name string
		req  Request
		env  map[string]string
		want planView
	}{
		{
			name: "an OCI layout, default platforms left to the builder",
			req:  Request{GoPackage: "./hello", Outputs: []Output{oci}},
			want: planView{Outputs: []Output{oci}, Created: epoch},
		},
		{
			name: "a registry output is a push, written last",
			req:  Request{GoPackage: "./hello", Outputs: []Output{registry, oci}, Tags: []string{"127.0.0.1:5000/edge/hello:dev"}},
			want: planView{Outputs: []Output{oci, registry}, Tags: []string{"127.0.0.1:5000/edge/hello:dev"}, Created: epoch},
		},
		{
			name: "push and a registry output push once",
			req:  Request{GoPackage: "./hello", Outputs: []Output{registry}, Push: true, Tags: []string{"127.0.0.1:5000/edge/hello:dev"}},
			want: planView{Outputs: []Output{registry}, Tags: []string{"127.0.0.1:5000/edge/hello:dev"}, Created: epoch},
		},
		{
			name: "docker alone builds this machine's platform",
			req:  Request{GoPackage: "./hello", Outputs: []Output{docker}},
			want: planView{Outputs: []Output{docker}, Platforms: []string{"linux/" + runtime.GOARCH}, Created: epoch},
		},
		{
			name: "docker beside a layout leaves the platforms alone",
			req:  Request{GoPackage: "./hello", Outputs: []Output{docker, oci}},
			want: planView{Outputs: []Output{docker, oci}, Created: epoch},
		},
		{
			name: "platforms asked for are kept",
			req:  Request{GoPackage: "./hello", Outputs: []Output{docker}, Platforms: []v1.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}}},
			want: planView{Outputs: []Output{docker}, Platforms: []string{"linux/arm/v7"}, Created: epoch},
		},
		{
			name: "only metadata: builds and writes nowhere else",
			req:  Request{Dockerfile: "Dockerfile", MetadataFile: "meta.json"},
			want: planView{Outputs: []Output{}, Created: epoch},
		},
		{
			name: "a bare repository without tags from the ref is latest",
			req:  Request{GoPackage: "./hello", Push: true, Tags: []string{"ghcr.io/acme/hello"}},
			want: planView{Outputs: []Output{registry}, Tags: []string{"ghcr.io/acme/hello:latest"}, Created: epoch},
		},
		{
			name: "tags from a pull request's ref, and the context's annotations",
			req: Request{
				GoPackage: "./hello", Push: true, TagsFromRef: true,
				Tags:   []string{"ghcr.io/acme/hello", "ghcr.io/acme/mirror:fixed"},
				Labels: map[string]string{"org.opencontainers.image.title": "mine", "team": "edge"},
			},
			env: pr,
			want: planView{
				Outputs: []Output{registry},
				Tags:    []string{"ghcr.io/acme/hello:pr-17", "ghcr.io/acme/hello:sha-1234567", "ghcr.io/acme/mirror:fixed"},
				Created: "2023-11-14T22:13:20Z",
				Labels: map[string]string{
					"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
					"org.opencontainers.image.source":   "https://github.com/acme/hello",
					"org.opencontainers.image.url":      "https://github.com/acme/hello",
					"org.opencontainers.image.title":    "mine",
					"org.opencontainers.image.revision": headSHA,
					"org.opencontainers.image.version":  "pr-17",
					"team":                              "edge",
				},
				Annotations: map[string]string{
					"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
					"org.opencontainers.image.source":   "https://github.com/acme/hello",
					"org.opencontainers.image.url":      "https://github.com/acme/hello",
					"org.opencontainers.image.title":    "hello",
					"org.opencontainers.image.revision": headSHA,
					"org.opencontainers.image.version":  "pr-17",
				},
			},
		},
		{
			name: "tag rules imply tags from the ref",
			req:  Request{GoPackage: "./hello", Push: true, Tags: []string{"ghcr.io/acme/hello"}, TagRules: []TagRule{{Type: "raw", Value: "edge"}}},
			env:  map[string]string{"GITHUB_REF": "refs/heads/main"},
			want: planView{Outputs: []Output{registry}, Tags: []string{"ghcr.io/acme/hello:edge"}, Created: epoch},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.req.Getenv = func(k string) string { return tc.env[k] }
			r := tc.req.withDefaults()
			p, err := r.plan(nil)
			if err != nil {
				t.Fatalf("plan() = %v", err)
			}
			if diff := cmp.Diff(tc.want, viewOf(p)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestInvalid checks that every mistake in a request is invalid
// input (exit code 3), all of them in one error.
func TestRequestInvalid(t *testing.T) {
	t.Parallel()
	oci := []Output{{Kind: OutputOCI, Path: "out"}}
	cases := []struct {
		name string
		req  Request
		want []string
	}{
		{"nothing to build", Request{Outputs: oci}, []string{"build needs --go PKG or --dockerfile FILE"}},
		{"two things to build", Request{GoPackage: "./hello", Dockerfile: "Dockerfile", Outputs: oci}, []string{"give --go or --dockerfile, not both"}},
		{"push without a tag", Request{GoPackage: "./hello", Push: true}, []string{"--push needs --tag REF"}},
		{"registry output without a tag", Request{GoPackage: "./hello", Outputs: []Output{{Kind: OutputRegistry}}}, []string{"--push needs --tag REF"}},
		{"writes nowhere", Request{GoPackage: "./hello"}, []string{"build writes nowhere"}},
		{"several at once", Request{Push: true}, []string{"build needs --go PKG", "--push needs --tag REF"}},
		{"a tag by digest", Request{GoPackage: "./hello", Push: true, Tags: []string{"ghcr.io/acme/hello@sha256:" + strings.Repeat("ab", 32)}}, []string{"a build is tagged, not addressed by digest"}},
		{"a tag that does not parse", Request{GoPackage: "./hello", Push: true, Tags: []string{"ghcr.io/ACME/hello:dev"}}, []string{`tag "ghcr.io/ACME/hello:dev"`}},
		{"SOURCE_DATE_EPOCH not a number", Request{GoPackage: "./hello", Outputs: oci, Getenv: func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return "yesterday"
			}
			return ""
		}}, []string{`SOURCE_DATE_EPOCH "yesterday"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.req.Getenv == nil {
				tc.req.Getenv = func(string) string { return "" }
			}
			_, err := Run(context.Background(), tc.req)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Run() = %v, want an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Run() = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// memRegistry is a [Registry] for the in-memory test registry.
type memRegistry struct{}

func (memRegistry) RemoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx)}
}
func (memRegistry) NameOptions() []name.Option { return nil }

// TestRun builds nodes/hello for one platform to a layout and a registry
// and checks the outcome, the files it writes and the pushed tags.
func TestRun(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	dir := t.TempDir()
	lay, refs, meta := filepath.Join(dir, "hello"), filepath.Join(dir, "refs"), filepath.Join(dir, "meta.json")
	var (
		mu     sync.Mutex
		events []string
	)
	out, err := Run(context.Background(), Request{
		GoPackage: "./nodes/hello",
		Options:   []Option{WithDir(repoRoot), WithBuildVCS("false")},
		Platforms: []v1.Platform{amd64},
		Outputs:   []Output{{Kind: OutputRegistry}, {Kind: OutputOCI, Path: lay}},
		Tags:      []string{host + "/edge/hello:dev", host + "/edge/hello:v1", host + "/mirror/hello:dev"},
		Labels:    map[string]string{"team": "edge"},
		Registry:  memRegistry{},
		Progress: ProgressFunc(func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e.Step)
		}),
		Getenv:        func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}[k] },
		ImageRefsFile: refs,
		MetadataFile:  meta,
	})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	d := out.Result.Digest.String()
	want := []string{host + "/edge/hello@" + d, host + "/mirror/hello@" + d}
	if diff := cmp.Diff(want, out.Pushed); diff != "" {
		t.Errorf("pushed (-want +got):\n%s", diff)
	}
	if out.Ref != want[0] {
		t.Errorf("ref %s, want the first push %s", out.Ref, want[0])
	}
	if b, _ := os.ReadFile(refs); string(b) != out.Ref+"\n" {
		t.Errorf("image refs file holds %q, want %q", b, out.Ref+"\n")
	}
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.Metadata, m); diff != "" {
		t.Errorf("metadata file (-returned +file):\n%s", diff)
	}
	if m.Created != "2023-11-14T22:13:20Z" || len(m.Tags) != 3 || len(m.Platforms) != 1 {
		t.Errorf("metadata: %+v", m)
	}
	if _, err := os.Stat(filepath.Join(lay, "oci-layout")); err != nil {
		t.Errorf("no OCI layout written: %v", err)
	}
	for _, tag := range []string{"edge/hello:v1", "mirror/hello:dev"} {
		ref, err := name.NewTag(host + "/" + tag)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref)
		if err != nil {
			t.Fatalf("HEAD %s: %v", ref, err)
		}
		if desc.Digest != out.Result.Digest {
			t.Errorf("%s is %s, want %s", ref, desc.Digest, d)
		}
	}
	if len(events) == 0 || events[len(events)-1] != "push" {
		t.Errorf("progress steps %q, want the pushes last", events)
	}
}
