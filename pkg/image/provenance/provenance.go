package provenance

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

const (
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is SLSA provenance v1, what cosign calls
	// slsaprovenance1.
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildTypeGo names the template of `xedgesim build --go`: its
	// external parameters are the flags that shape the image.
	BuildTypeGo = "https://github.com/xedgesim/simulate/build/go/v1"
	// LocalBuilder is the builder id outside GitHub Actions: the toolkit on
	// someone's machine, which vouches for nothing beyond the signer.
	LocalBuilder = "https://github.com/xedgesim/simulate/build/local"
)

// Statement is an in-toto statement whose predicate is SLSA provenance v1.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Predicate `json:"predicate"`
}

// Subject is an artifact the build produced: an image index or manifest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Predicate is SLSA provenance v1.
type Predicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what was built and from what.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// ResourceDescriptor is one input of the build.
type ResourceDescriptor struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// RunDetails is who built it and when.
type RunDetails struct {
	Builder  Builder  `json:"builder"`
	Metadata Metadata `json:"metadata"`
}

// Builder is the platform that ran the build.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Metadata identifies the run.
type Metadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// Image is what a build made: the index and one manifest per platform,
// each with the build info of the Go binary in it.
type Image struct {
	// Name is the image's repository or, without one, the binary's name.
	Name string
	// Index is the index digest, sha256:<hex>.
	Index     string
	Platforms []Platform
}

// Platform is one platform's image.
type Platform struct {
	Platform string // os/arch[/variant]
	Digest   string // sha256:<hex>
	// BuildInfo is what the Go toolchain recorded in the binary.
	BuildInfo *debug.BuildInfo
}

// Go describes a build by `xedgesim build --go`.
type Go struct {
	Image Image
	// Package is the main package, as given; Parameters the other inputs
	// that shape the image (base, platforms, ldflags, files, ...).
	Package    string
	Parameters map[string]any
	// Base is the base image's digest reference, empty for scratch.
	Base string
	// ToolVersion is this toolkit's version.
	ToolVersion    string
	Started, Ended time.Time
	Getenv         func(string) string
}

// ForGo is the provenance of a Go build. In GitHub Actions the builder is
// the workflow that ran it (GITHUB_WORKFLOW_REF), the run is its id, and
// the source is the repository at GITHUB_SHA; elsewhere the builder is
// [LocalBuilder] and the source the VCS revision the binary records.
func ForGo(g Go) (Statement, error) {
	if !strings.HasPrefix(g.Image.Index, "sha256:") {
		return Statement{}, fmt.Errorf("provenance: index digest %q is not sha256", g.Image.Index)
	}
	getenv := g.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	subjects := []Subject{{Name: g.Image.Name, Digest: digestSet(g.Image.Index)}}
	for _, p := range g.Image.Platforms {
		subjects = append(subjects, Subject{Name: g.Image.Name + "@" + p.Platform, Digest: digestSet(p.Digest)})
	}
	ext := map[string]any{"package": g.Package}
	for k, v := range g.Parameters {
		ext[k] = v
	}
	deps := sourceOf(g, getenv)
	if repo, d, ok := strings.Cut(g.Base, "@"); ok {
		deps = append(deps, ResourceDescriptor{Name: "base", URI: ociPURL(repo, d), Digest: digestSet(d)})
	}
	deps = append(deps, modules(g.Image.Platforms)...)

	st := Statement{
		Type:          StatementType,
		Subject:       subjects,
		PredicateType: PredicateType,
		Predicate: Predicate{
			BuildDefinition: BuildDefinition{
				BuildType:            BuildTypeGo,
				ExternalParameters:   ext,
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{
				Builder:  builder(getenv, g.ToolVersion),
				Metadata: metadata(getenv, g.Started, g.Ended),
			},
		},
	}
	if env := actionsContext(getenv); len(env) > 0 {
		st.Predicate.BuildDefinition.InternalParameters = map[string]any{"github": env}
	}
	return st, nil
}

// Marshal encodes the statement, as it is signed.
func (s Statement) Marshal() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding provenance: %w", err)
	}
	return b, nil
}

// ociPURL is the package URL of an image by digest:
// pkg:oci/<name>@sha256%3A<hex>?repository_url=<repository>.
func ociPURL(repo, digest string) string {
	name := repo[strings.LastIndex(repo, "/")+1:]
	return "pkg:oci/" + name + "@" + url.QueryEscape(digest) + "?repository_url=" + url.QueryEscape(repo)
}

func digestSet(d string) map[string]string {
	alg, hex, _ := strings.Cut(d, ":")
	return map[string]string{alg: hex}
}

// sourceOf is the source the build read: the repository at the commit in
// Actions, else the revision the binary records, if any.
func sourceOf(g Go, getenv func(string) string) []ResourceDescriptor {
	if repo, sha := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_SHA"); repo != "" && sha != "" {
		uri := "git+" + cmp.Or(getenv("GITHUB_SERVER_URL"), "https://github.com") + "/" + repo
		if ref := getenv("GITHUB_REF"); ref != "" {
			uri += "@" + ref
		}
		return []ResourceDescriptor{{Name: "source", URI: uri, Digest: map[string]string{"gitCommit": sha}}}
	}
	for _, p := range g.Image.Platforms {
		if p.BuildInfo == nil {
			continue
		}
		var vcs, rev string
		for _, s := range p.BuildInfo.Settings {
			switch s.Key {
			case "vcs":
				vcs = s.Value
			case "vcs.revision":
				rev = s.Value
			}
		}
		if vcs == "git" && rev != "" {
			// A module path is fetched over HTTPS (go help importpath).
			return []ResourceDescriptor{{Name: "source", URI: "git+https://" + p.BuildInfo.Main.Path, Digest: map[string]string{"gitCommit": rev}}}
		}
	}
	return nil
}

// modules is the module graph the binaries were linked from, once each,
// with the Go toolchain: a module's digest is its go.sum hash as in-toto's
// dirHash (the h1 hash in hex).
func modules(ps []Platform) []ResourceDescriptor {
	seen := map[string]bool{}
	var out []ResourceDescriptor
	add := func(r ResourceDescriptor) {
		if !seen[r.URI] {
			seen[r.URI] = true
			out = append(out, r)
		}
	}
	for _, p := range ps {
		bi := p.BuildInfo
		if bi == nil {
			continue
		}
		add(ResourceDescriptor{Name: "go", URI: "pkg:golang/stdlib@" + bi.GoVersion})
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			r := ResourceDescriptor{URI: "pkg:golang/" + d.Path}
			if d.Version != "" {
				r.URI += "@" + d.Version
			}
			if h, ok := dirHash(d.Sum); ok {
				r.Digest = map[string]string{"dirHash": h}
			}
			add(r)
		}
	}
	// The toolchain first, then the modules by path: the same graph gives
	// the same bytes whatever the platforms' order.
	slices.SortStableFunc(out[min(1, len(out)):], func(a, b ResourceDescriptor) int { return cmp.Compare(a.URI, b.URI) })
	return out
}

// dirHash turns a go.sum hash (h1:<base64>) into in-toto's dirHash.
func dirHash(sum string) (string, bool) {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	return hex.EncodeToString(raw), true
}

// builder is the workflow that ran the build in Actions, else the local
// toolkit.
func builder(getenv func(string) string, version string) Builder {
	b := Builder{ID: LocalBuilder}
	if ref := getenv("GITHUB_WORKFLOW_REF"); ref != "" {
		b.ID = cmp.Or(getenv("GITHUB_SERVER_URL"), "https://github.com") + "/" + ref
	}
	if version != "" {
		b.Version = map[string]string{"xedgesim": version}
	}
	return b
}

func metadata(getenv func(string) string, started, ended time.Time) Metadata {
	var m Metadata
	if repo, run := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); repo != "" && run != "" {
		m.InvocationID = fmt.Sprintf("%s/%s/actions/runs/%s/attempts/%s", cmp.Or(getenv("GITHUB_SERVER_URL"), "https://github.com"), repo, run, cmp.Or(getenv("GITHUB_RUN_ATTEMPT"), "1"))
	}
	if !started.IsZero() {
		s := started.UTC()
		m.StartedOn = &s
	}
	if !ended.IsZero() {
		e := ended.UTC()
		m.FinishedOn = &e
	}
	return m
}

// actionsContext is the part of the Actions context that says what ran:
// the event, the ref, the repository and its owner's ids, the runner.
func actionsContext(getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"GITHUB_EVENT_NAME", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER_ID", "RUNNER_ENVIRONMENT"} {
		if v := getenv(k); v != "" {
			out[strings.ToLower(strings.TrimPrefix(k, "GITHUB_"))] = v
		}
	}
	return out
}
