package build

import (
	"context"
	"runtime/debug"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Builder turns a program into one OCI image index with an image for every
// platform it was configured with.
type Builder interface {
	// Build builds every platform and returns the index. It honours ctx:
	// cancelling it stops compilers and buildx and removes their temporary
	// files. A mistake in the input is an [*InputError].
	Build(ctx context.Context) (*Result, error)
}

// Result is what a [Builder] built: an OCI image index and, for each
// platform, its image. Both builders return the same type.
type Result struct {
	// Name is a short name for the program (the Go package's last path
	// element, or the Dockerfile context's directory name), used to name
	// images loaded into Docker when no tag is given.
	Name string
	// Index is the image index; Digest its digest, Size its manifest's size.
	Index  v1.ImageIndex
	Digest v1.Hash
	Size   int64
	// Platforms are the index's images, in the order of the platforms asked
	// for.
	Platforms []PlatformImage
	// Annotations are the index's annotations.
	Annotations map[string]string
	// Referrers are artifacts that refer to the index's images (SBOMs),
	// written beside the index to every output that can hold them.
	Referrers []Referrer
	// Created is the time every timestamp in the image was set to.
	Created time.Time
}

// PlatformImage is one platform's image in a [Result].
type PlatformImage struct {
	Platform v1.Platform
	Image    v1.Image
	// Digest and Size are the manifest's digest and size in bytes, as the
	// index's descriptor gives them.
	Digest v1.Hash
	Size   int64
	// ContentSize is the size of the manifest, config and compressed
	// layers: what a pull of this platform transfers at most.
	ContentSize int64
	// BuildInfo is what the Go toolchain recorded in a Go build's binary
	// (nil for a Dockerfile build): module graph, settings, Go version.
	BuildInfo *debug.BuildInfo
}

// Referrer is an artifact manifest that refers to an image through its OCI
// 1.1 subject field, such as an SBOM.
type Referrer struct {
	// ArtifactType is the artifact's type, e.g. application/spdx+json.
	ArtifactType string
	// Subject is the descriptor of the image it refers to.
	Subject v1.Descriptor
	// Image is the artifact manifest with its config and layers.
	Image  v1.Image
	Digest v1.Hash
	Size   int64
}

// Progress receives what a build is doing; the CLI renders it. Report is
// called from several goroutines at once.
type Progress interface {
	Report(Event)
}

// Event is one step of a build.
type Event struct {
	// Step is what happens: "resolve", "compile", "layer", "buildx",
	// "sbom", "write", "push", "load".
	Step string
	// Platform is the platform it concerns, empty for all of them.
	Platform string
	// Detail says more, e.g. the base image's reference.
	Detail string
}

// ProgressFunc adapts a function to [Progress].
type ProgressFunc func(Event)

// Report implements [Progress].
func (f ProgressFunc) Report(e Event) { f(e) }

type discard struct{}

func (discard) Report(Event) {}

// PlatformStrings returns the result's platforms as os/arch[/variant].
func (r *Result) PlatformStrings() []string {
	out := make([]string, len(r.Platforms))
	for i, p := range r.Platforms {
		out[i] = PlatformString(p.Platform)
	}
	return out
}
