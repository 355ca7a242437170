package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Metadata is what --metadata-file holds: the index digest, every
// platform's manifest digest and size, the tags, the annotations and the
// attached artifacts.
type Metadata struct {
	// Digest is the index digest; Ref the digest reference printed last.
	Digest    string             `json:"digest"`
	Ref       string             `json:"ref"`
	MediaType string             `json:"mediaType"`
	Size      int64              `json:"size"`
	Platforms []PlatformMetadata `json:"platforms"`
	Tags      []string           `json:"tags"`
	// Pushed are digest references in registries, one per repository.
	Pushed      []string          `json:"pushed,omitempty"`
	Annotations map[string]string `json:"annotations"`
	Referrers   []ReferrerMeta    `json:"referrers,omitempty"`
	Created     string            `json:"created"`
}

// PlatformMetadata is one platform's image.
type PlatformMetadata struct {
	Platform  string `json:"platform"`
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// Size is the manifest's size, ContentSize the manifest's, config's
	// and compressed layers' together.
	Size        int64 `json:"size"`
	ContentSize int64 `json:"contentSize"`
}

// ReferrerMeta is an attached artifact.
type ReferrerMeta struct {
	ArtifactType string `json:"artifactType"`
	Digest       string `json:"digest"`
	Subject      string `json:"subject"`
}

// Metadata describes the result; ref is the reference to print, tags and
// pushed what the outputs did with it.
func (r *Result) Metadata(ref string, tags, pushed []string) (Metadata, error) {
	mt, err := r.Index.MediaType()
	if err != nil {
		return Metadata{}, fmt.Errorf("reading index media type: %w", err)
	}
	m := Metadata{
		Digest:      r.Digest.String(),
		Ref:         ref,
		MediaType:   string(mt),
		Size:        r.Size,
		Tags:        append([]string{}, tags...),
		Pushed:      pushed,
		Annotations: r.Annotations,
		Created:     r.Created.UTC().Format("2006-01-02T15:04:05Z"),
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	for _, p := range r.Platforms {
		pmt, err := p.Image.MediaType()
		if err != nil {
			return Metadata{}, fmt.Errorf("reading image media type: %w", err)
		}
		m.Platforms = append(m.Platforms, PlatformMetadata{
			Platform: PlatformString(p.Platform), Digest: p.Digest.String(), MediaType: string(pmt),
			Size: p.Size, ContentSize: p.ContentSize,
		})
	}
	for _, ref := range r.Referrers {
		m.Referrers = append(m.Referrers, ReferrerMeta{ArtifactType: ref.ArtifactType, Digest: ref.Digest.String(), Subject: ref.Subject.Digest.String()})
	}
	return m, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it into place.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- build metadata is for CI to read
		return fmt.Errorf("creating directory of %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// JSON encodes the metadata, indented, with a final newline.
func (m Metadata) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding metadata: %w", err)
	}
	return append(b, '\n'), nil
}
