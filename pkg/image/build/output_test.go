package build

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestParseOutput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    Output
		wantErr bool
	}{
		{in: "oci:out/hello", want: Output{Kind: OutputOCI, Path: "out/hello"}},
		{in: "tar:hello.tar", want: Output{Kind: OutputTar, Path: "hello.tar"}},
		{in: "docker:", want: Output{Kind: OutputDocker}},
		{in: "registry", want: Output{Kind: OutputRegistry}},
		{in: "oci:", wantErr: true},
		{in: "out/hello", wantErr: true},
		{in: "type=oci,dest=x", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOutput(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "want oci:<dir>, tar:<file>, docker: or registry") {
					t.Errorf("ParseOutput(%q) = %v, want an error", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseOutput(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestPushWithSBOM pushes to two tags of an in-memory registry (which, like
// distribution 2.8, has no referrers API) and finds the SBOMs through the
// referrers tag fallback.
func TestPushWithSBOM(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	res := buildHello(t, WithSBOM(true))
	if len(res.Referrers) != 2 {
		t.Fatalf("%d referrers, want one SBOM per platform", len(res.Referrers))
	}
	t1, _ := name.NewTag(host + "/edge/hello:v1")
	t2, _ := name.NewTag(host + "/edge/hello:latest")
	w, err := Write(context.Background(), res, Output{Kind: OutputRegistry}, WithTags(t1, t2))
	if err != nil {
		t.Fatalf("Write() = %v", err)
	}
	wantRef := host + "/edge/hello@" + res.Digest.String()
	if diff := cmp.Diff([]string{wantRef}, w.Refs); diff != "" {
		t.Errorf("pushed refs (-want +got):\n%s", diff)
	}
	for _, tag := range []name.Tag{t1, t2} {
		d, err := remote.Head(tag)
		if err != nil || d.Digest != res.Digest {
			t.Errorf("%s = %v, %v; want %s", tag, d, err, res.Digest)
		}
	}
	for _, pi := range res.Platforms {
		idx, err := remote.Referrers(t1.Context().Digest(pi.Digest.String()))
		if err != nil {
			t.Fatalf("Referrers(%s) = %v", pi.Digest, err)
		}
		im, _ := idx.IndexManifest()
		if len(im.Manifests) != 1 || im.Manifests[0].ArtifactType != string(SPDXMediaType) {
			t.Fatalf("referrers of %s = %+v, want one SPDX artifact", PlatformString(pi.Platform), im.Manifests)
		}
		img, err := remote.Image(t1.Context().Digest(im.Manifests[0].Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		layers, _ := img.Layers()
		rc, _ := layers[0].Uncompressed()
		var doc SPDX
		err = json.NewDecoder(rc).Decode(&doc)
		rc.Close()
		if err != nil {
			t.Fatalf("decoding SBOM: %v", err)
		}
		var names []string
		for _, p := range doc.Packages {
			names = append(names, p.Name)
		}
		if doc.SPDXVersion != "SPDX-2.3" || !slices.Contains(names, "github.com/xedgesim/simulate") || !slices.Contains(names, "stdlib") {
			t.Errorf("SBOM of %s: version %s, packages %q", PlatformString(pi.Platform), doc.SPDXVersion, names)
		}
		if !strings.Contains(doc.Packages[0].SourceInfo, "GOARCH="+pi.Platform.Architecture) {
			t.Errorf("SBOM source info %q does not name GOARCH=%s", doc.Packages[0].SourceInfo, pi.Platform.Architecture)
		}
	}
}

func TestSBOMChecksums(t *testing.T) {
	t.Parallel()
	// hello has no dependencies: check the h1: sum's decoding on build
	// info with one.
	doc, err := SBOMFromBuildInfo(&debugBuildInfo, "x", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var got SPDX
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	dep := got.Packages[2]
	want := SPDXPackage{
		Name: "github.com/google/go-cmp", SPDXID: "SPDXRef-Package-2-github.com-google-go-cmp", VersionInfo: "v0.7.0",
		DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
		Checksums:    []SPDXChecksum{{Algorithm: "SHA256", ChecksumValue: "5f46a0dd21e5e6edf0f0a68e81bbebbc52a1ceec1535797f155bda4f83833b76"}},
		ExternalRefs: []SPDXExternalRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: "pkg:golang/github.com/google/go-cmp@v0.7.0"}},
	}
	if diff := cmp.Diff(want, dep); diff != "" {
		t.Errorf("dependency package (-want +got):\n%s", diff)
	}
}

func TestWriteLayout(t *testing.T) {
	t.Parallel()
	res := buildHello(t, WithSBOM(true))
	dir := filepath.Join(t.TempDir(), "out", "hello")
	tag, _ := name.NewTag("registry.example/edge/hello:v1")
	for range 2 { // the second write replaces the first layout
		if _, err := Write(context.Background(), res, Output{Kind: OutputOCI, Path: dir}, WithTags(tag)); err != nil {
			t.Fatalf("Write() = %v", err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 3 || im.Manifests[0].Digest != res.Digest || im.Manifests[0].Annotations[refName] != tag.String() {
		t.Errorf("index.json = %+v, want the index (named %s) and two SBOMs", im.Manifests, tag)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("output's parent holds %d entries, want only the layout (no temporary left)", len(ents))
	}

	// A directory that is not a layout is never replaced.
	other := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "main.go"), []byte("package main"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Write(context.Background(), res, Output{Kind: OutputOCI, Path: other})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "is a directory but not an OCI layout") {
		t.Errorf("Write() over a source directory = %v, want an input error", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "main.go")); string(b) != "package main" {
		t.Error("Write() changed a directory that is not a layout")
	}
}

// TestWriteTarLoadable checks that a one-platform tar holds the
// manifest.json docker load reads.
func TestWriteTarLoadable(t *testing.T) {
	t.Parallel()
	res := buildHello(t, WithPlatforms(arm64))
	file := filepath.Join(t.TempDir(), "hello.tar")
	tag, _ := name.NewTag("edge/hello:dev")
	if _, err := Write(context.Background(), res, Output{Kind: OutputTar, Path: file}, WithTags(tag)); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatalf("reading the tar as docker load does: %v", err)
	}
	got, _ := img.ConfigName()
	want, _ := res.Platforms[0].Image.ConfigName()
	if got != want {
		t.Errorf("config in the tar = %s, want %s", got, want)
	}
}

func TestDockerOutputNeedsOnePlatform(t *testing.T) {
	t.Parallel()
	res := &Result{Platforms: []PlatformImage{{Platform: amd64}, {Platform: arm64}}}
	_, err := Write(context.Background(), res, Output{Kind: OutputDocker})
	if err == nil || !strings.Contains(err.Error(), "takes one platform, the build has 2 (linux/amd64, linux/arm64)") {
		t.Errorf("Write(docker:) = %v", err)
	}
}
