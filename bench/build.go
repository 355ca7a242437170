package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/internal/testbed"
)

const (
	buildPkg       = "./nodes/hello"
	buildPlatforms = "linux/amd64,linux/arm64"
)

// build is the build section: `xedgesim build --go` against `ko build` on
// the same program, both for two platforms into an OCI layout, with a warm
// and with a cold Go build cache.
//
// Both start from nothing: ours from scratch (its default), ko from an
// empty two-platform index the bench pushes to a plain registry (ko's own
// default base is a public image and these machines have no internet).
// ko's SBOM is off (--sbom=none), as ours is without --sbom.
func build(env *Env) (*Section, error) {
	s := &Section{Title: "Build"}
	ko, err := buildTool(env, "ko", "github.com/google/ko", "github.com/google/ko", "ko")
	if err != nil {
		return nil, err
	}
	koVersion, _ := toolVersion(env.Root, "ko/go.mod", "github.com/google/ko")
	reg, stop, err := benchRegistry()
	if err != nil {
		return nil, err
	}
	defer stop()
	base := reg + "/bench/ko-base:empty"
	if err := pushEmptyBase(base); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: pushed an empty %s base index to %s for ko\n", buildPlatforms, base)

	dir := filepath.Join(env.Tmp, "build")
	warmCache := filepath.Join(dir, "gocache-warm")
	// One contender per tool and cache state; out is a fresh layout per run.
	mk := func(tool, cache string) Contender {
		out := filepath.Join(dir, tool+"-"+cache+"-oci")
		return Contender{Name: tool + " " + cache, Run: func() (Sample, error) {
			gocache := warmCache
			if cache == "cold" {
				d, err := os.MkdirTemp(dir, "gocache-cold-")
				if err != nil {
					return Sample{}, err
				}
				defer os.RemoveAll(d)
				gocache = d
			}
			if err := os.RemoveAll(out); err != nil {
				return Sample{}, err
			}
			vars := []string{"GOCACHE=" + gocache}
			var sm Sample
			if tool == "xedgesim" {
				sm, err = runProcessEnv(env.Root, vars, env.Bin, "build", "--go", buildPkg, "--platform", buildPlatforms, "--output", "oci:"+out)
			} else {
				vars = append(vars, "KO_DEFAULTBASEIMAGE="+base, "KO_DOCKER_REPO="+reg+"/bench/ko")
				sm, err = runProcessEnv(env.Root, vars, ko, "build", "--push=false", "--insecure-registry", "--sbom=none",
					"--oci-layout-path", out, "--platform", buildPlatforms, buildPkg)
			}
			if err != nil {
				return sm, err
			}
			d, err := layoutDigest(out)
			if err != nil {
				return sm, fmt.Errorf("%s: %w", tool, err)
			}
			digests[tool+" "+cache] = append(digests[tool+" "+cache], d)
			return sm, nil
		}}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	xw, kw, xc, kc := mk("xedgesim", "warm"), mk("ko", "warm"), mk("xedgesim", "cold"), mk("ko", "cold")
	// Warm the shared cache with one untimed run of each.
	for _, c := range []Contender{xw, kw} {
		if _, err := c.Run(); err != nil {
			return nil, fmt.Errorf("warming the Go build cache with %s: %w", c.Name, err)
		}
	}
	clear(digests)
	warm, err := alternate(env.Runs, xw, kw)
	if err != nil {
		return nil, err
	}
	cold, err := alternate(env.Runs, xc, kc)
	if err != nil {
		return nil, err
	}

	var rows strings.Builder
	rows.WriteString("| cache | xedgesim build (s) | ko build (s) | ratio xedgesim/ko |\n|---|---:|---:|---:|\n")
	for _, c := range []struct {
		name string
		ss   map[string][]Sample
	}{{"warm", warm}, {"cold", cold}} {
		x := s.figure("build_"+c.name+"_xedgesim_s", "xedgesim build --go, "+c.name+" Go cache", "s", field(c.ss["xedgesim "+c.name], wallS))
		k := s.figure("build_"+c.name+"_ko_s", "ko build, "+c.name+" Go cache", "s", field(c.ss["ko "+c.name], wallS))
		s.figure("build_"+c.name+"_xedgesim_rss_mib", "xedgesim build --go peak RSS, "+c.name+" Go cache", "MiB", field(c.ss["xedgesim "+c.name], rssMiB))
		s.figure("build_"+c.name+"_ko_rss_mib", "ko build peak RSS, "+c.name+" Go cache", "MiB", field(c.ss["ko "+c.name], rssMiB))
		ratio := x.Median / k.Median
		s.figure("build_"+c.name+"_ratio", "xedgesim/ko wall time, "+c.name+" Go cache (of medians)", "ratio", Stats{Median: ratio, Min: ratio, Max: ratio, N: 1})
		fmt.Fprintf(&rows, "| %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.2f |\n", c.name, x.Median, x.Min, x.Max, k.Median, k.Min, k.Max, ratio)
		s.target("build "+c.name+" Go cache: xedgesim build --go against ko build", "no slower than ko (ratio ≤ 1)",
			fmt.Sprintf("%.2f× (%.2f s against %.2f s)", ratio, x.Median, k.Median), ratio <= 1)
	}

	var body strings.Builder
	fmt.Fprintf(&body, "`%s` for %s into an OCI layout, by `bin/xedgesim build --go %s --platform %s --output oci:DIR` and by ko %s "+
		"(`ko build --push=false --sbom=none --oci-layout-path DIR --platform %s %s`). "+
		"Both start from nothing: ours from scratch, ko from an empty %s index pushed to a plain registry (`KO_DEFAULTBASEIMAGE`), "+
		"since ko's default base is a public image. Warm: a Go build cache both share, warmed by one untimed run of each. "+
		"Cold: a fresh `GOCACHE` for every run (the standard library is compiled for both platforms). "+
		"The times are of the whole process, start to exit.\n\n", buildPkg, buildPlatforms, buildPkg, buildPlatforms, koVersion, buildPlatforms, buildPkg, buildPlatforms)
	body.WriteString(rows.String())
	body.WriteString("\n| index digest | over every timed run |\n|---|---|\n")
	for _, tool := range []string{"xedgesim", "ko"} {
		all := append(append([]string(nil), digests[tool+" warm"]...), digests[tool+" cold"]...)
		fmt.Fprintf(&body, "| %s | %s |\n", tool, describeDigests(all))
	}
	body.WriteString("\n")
	s.Body = body.String()
	return s, nil
}

// digests collects the index digest of every run by contender name.
var digests = map[string][]string{}

// describeDigests says whether every run gave the same digest.
func describeDigests(ds []string) string {
	seen := map[string]int{}
	var order []string
	for _, d := range ds {
		if seen[d] == 0 {
			order = append(order, d)
		}
		seen[d]++
	}
	if len(order) == 1 {
		return fmt.Sprintf("`%s`, the same on all %d runs (reproducible)", order[0], len(ds))
	}
	var parts []string
	for _, d := range order {
		parts = append(parts, fmt.Sprintf("`%s` ×%d", d, seen[d]))
	}
	return fmt.Sprintf("%d different digests over %d runs (not reproducible): %s", len(order), len(ds), strings.Join(parts, ", "))
}

// layoutDigest is the digest of the one index an OCI layout holds.
func layoutDigest(dir string) (string, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return "", fmt.Errorf("reading the OCI layout %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return "", fmt.Errorf("reading the OCI layout %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 {
		return "", fmt.Errorf("OCI layout %s holds %d manifests, want one index", dir, len(m.Manifests))
	}
	if m.Manifests[0].MediaType != types.OCIImageIndex && m.Manifests[0].MediaType != types.DockerManifestList {
		return "", fmt.Errorf("OCI layout %s holds a %s, want a two-platform index", dir, m.Manifests[0].MediaType)
	}
	return m.Manifests[0].Digest.String(), nil
}

// benchRegistry is the test bed's plain registry, or, without a bed, an
// in-memory one served by the bench itself on loopback.
func benchRegistry() (string, func(), error) {
	if bed, err := testbed.Load(); err == nil && bed.Registry.Host != "" {
		c := http.Client{Timeout: 5 * time.Second}
		if resp, err := c.Get("http://" + bed.Registry.Host + "/v2/"); err == nil {
			resp.Body.Close()
			return bed.Registry.Host, func() {}, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting an in-memory registry: %w", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "bench: no test bed registry; serving an in-memory one on %s\n", ln.Addr())
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// pushEmptyBase pushes an index with an empty image for every bench
// platform: a base with nothing in it, like scratch.
func pushEmptyBase(ref string) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range strings.Split(buildPlatforms, ",") {
		goos, arch, _ := strings.Cut(p, "/")
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = goos, arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Platform: &v1.Platform{OS: goos, Architecture: arch}}})
	}
	if err := remote.WriteIndex(r, idx, remote.WithAuth(authn.Anonymous)); err != nil {
		return fmt.Errorf("pushing ko's empty base to %s: %w", ref, err)
	}
	return nil
}
