package build

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media and artifact types of the SBOM artifact.
const (
	// SPDXMediaType is the media type of an SPDX JSON document, and the
	// artifact type of the SBOM manifests this package attaches.
	SPDXMediaType types.MediaType = "application/spdx+json"
	// EmptyMediaType is the OCI 1.1 empty descriptor's media type, used as
	// the config of artifact manifests.
	EmptyMediaType types.MediaType = "application/vnd.oci.empty.v1+json"
)

// SPDX is the part of an SPDX 2.3 JSON document this package writes.
type SPDX struct {
	// SPDXVersion is "SPDX-2.3"; DataLicense is "CC0-1.0", the license
	// the specification requires of every document.
	SPDXVersion string `json:"spdxVersion"`
	DataLicense string `json:"dataLicense"`
	// SPDXID is "SPDXRef-DOCUMENT"; Name is the caller's document name
	// (the build gives the binary's name and platform).
	SPDXID string `json:"SPDXID"`
	Name   string `json:"name"`
	// DocumentNamespace is unique per document and stable per content: it
	// ends in a hash of the packages and the name.
	DocumentNamespace string           `json:"documentNamespace"`
	CreationInfo      SPDXCreationInfo `json:"creationInfo"`
	// Packages are the main module, the standard library and every
	// dependency (a replaced one as its replacement); Relationships say
	// the document describes the main module and that it depends on each
	// of the others.
	Packages      []SPDXPackage      `json:"packages"`
	Relationships []SPDXRelationship `json:"relationships"`
}

// SPDXCreationInfo says who made the document and when.
type SPDXCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// SPDXPackage is one Go module (or the standard library).
type SPDXPackage struct {
	Name        string `json:"name"`
	SPDXID      string `json:"SPDXID"`
	VersionInfo string `json:"versionInfo,omitempty"`
	// DownloadLocation, LicenseConcluded, LicenseDeclared and
	// CopyrightText are "NOASSERTION": build info does not say them.
	// FilesAnalyzed is false: only modules are listed, not their files.
	DownloadLocation string `json:"downloadLocation"`
	FilesAnalyzed    bool   `json:"filesAnalyzed"`
	LicenseConcluded string `json:"licenseConcluded"`
	LicenseDeclared  string `json:"licenseDeclared"`
	CopyrightText    string `json:"copyrightText"`
	// SourceInfo, on the main module only, names the Go version, the main
	// package and the build settings.
	SourceInfo   string            `json:"sourceInfo,omitempty"`
	Checksums    []SPDXChecksum    `json:"checksums,omitempty"`
	ExternalRefs []SPDXExternalRef `json:"externalRefs,omitempty"`
}

// SPDXChecksum is a package checksum; Go's h1: sums are SHA-256.
type SPDXChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

// SPDXExternalRef is a package URL.
type SPDXExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

// SPDXRelationship links two elements.
type SPDXRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = lazyRegexp(`[^A-Za-z0-9.-]+`)

// SBOMFromBuildInfo renders build info as an SPDX 2.3 JSON document.
func SBOMFromBuildInfo(bi *debug.BuildInfo, docName string, created time.Time) ([]byte, error) {
	pkg := func(i int, path, version, sum string) SPDXPackage {
		p := SPDXPackage{
			Name:             path,
			SPDXID:           fmt.Sprintf("SPDXRef-Package-%d-%s", i, strings.Trim(spdxIDUnsafe().ReplaceAllString(path, "-"), "-")),
			VersionInfo:      version,
			DownloadLocation: "NOASSERTION",
			LicenseConcluded: "NOASSERTION",
			LicenseDeclared:  "NOASSERTION",
			CopyrightText:    "NOASSERTION",
		}
		if h, ok := strings.CutPrefix(sum, "h1:"); ok {
			if raw, err := base64.StdEncoding.DecodeString(h); err == nil {
				p.Checksums = []SPDXChecksum{{Algorithm: "SHA256", ChecksumValue: hex.EncodeToString(raw)}}
			}
		}
		purl := "pkg:golang/" + path
		if version != "" && version != "(devel)" {
			purl += "@" + version
		}
		p.ExternalRefs = []SPDXExternalRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: purl}}
		return p
	}
	main := pkg(0, bi.Main.Path, bi.Main.Version, bi.Main.Sum)
	if main.Name == "" {
		main = pkg(0, bi.Path, "", "")
	}
	var settings []string
	for _, s := range bi.Settings {
		settings = append(settings, s.Key+"="+s.Value)
	}
	main.SourceInfo = "built by " + bi.GoVersion + " from package " + bi.Path
	if len(settings) > 0 {
		main.SourceInfo += " with " + strings.Join(settings, " ")
	}
	doc := SPDX{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        docName,
		CreationInfo: SPDXCreationInfo{
			Created:  created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: xedgesim"},
		},
		Packages: []SPDXPackage{main},
		Relationships: []SPDXRelationship{
			{SPDXElementID: "SPDXRef-DOCUMENT", RelationshipType: "DESCRIBES", RelatedSPDXElement: main.SPDXID},
		},
	}
	std := pkg(1, "stdlib", bi.GoVersion, "")
	doc.Packages = append(doc.Packages, std)
	doc.Relationships = append(doc.Relationships, SPDXRelationship{SPDXElementID: main.SPDXID, RelationshipType: "DEPENDS_ON", RelatedSPDXElement: std.SPDXID})
	for i, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		p := pkg(i+2, d.Path, d.Version, d.Sum)
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, SPDXRelationship{SPDXElementID: main.SPDXID, RelationshipType: "DEPENDS_ON", RelatedSPDXElement: p.SPDXID})
	}
	// The namespace must be unique per document and stable per content.
	body, err := json.Marshal(doc.Packages)
	if err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	sum := sha256.Sum256(append(body, docName...))
	doc.DocumentNamespace = "https://github.com/xedgesim/simulate/spdx/" + hex.EncodeToString(sum[:16])
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	return append(out, '\n'), nil
}

// sbomReferrer wraps an SPDX document in an OCI 1.1 artifact manifest whose
// subject is the platform image.
func sbomReferrer(doc []byte, pi PlatformImage, created time.Time) (Referrer, error) {
	mt, err := pi.Image.MediaType()
	if err != nil {
		return Referrer{}, fmt.Errorf("reading image media type: %w", err)
	}
	subject := v1.Descriptor{MediaType: mt, Digest: pi.Digest, Size: pi.Size}
	img, err := NewArtifact(SPDXMediaType, doc, subject, map[string]string{
		"org.opencontainers.image.created": created.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return Referrer{}, err
	}
	d, size, err := digestSize(img, "SBOM")
	if err != nil {
		return Referrer{}, err
	}
	return Referrer{ArtifactType: string(SPDXMediaType), Subject: subject, Image: img, Digest: d, Size: size}, nil
}

// NewArtifact makes an OCI 1.1 artifact manifest: artifactType, the empty
// config, one layer holding data, and a subject it refers to.
func NewArtifact(artifactType types.MediaType, data []byte, subject v1.Descriptor, annotations map[string]string) (v1.Image, error) {
	layer := static.NewLayer(data, artifactType)
	ld, err := partial.Descriptor(layer)
	if err != nil {
		return nil, fmt.Errorf("describing artifact layer: %w", err)
	}
	cfg := []byte("{}")
	anns := map[string]string{}
	for k, v := range annotations {
		if v != "" {
			anns[k] = v
		}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(artifactType),
		Config:        v1.Descriptor{MediaType: EmptyMediaType, Digest: sha256Hash(cfg), Size: int64(len(cfg)), Data: cfg},
		Layers:        []v1.Descriptor{*ld},
		Subject:       &subject,
	}
	if len(anns) > 0 {
		m.Annotations = anns
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding artifact manifest: %w", err)
	}
	return partial.CompressedToImage(&artifact{raw: raw, cfg: cfg, layer: layer})
}

// artifact is a v1.Image whose manifest is written as is.
type artifact struct {
	raw   []byte
	cfg   []byte
	layer v1.Layer
}

var _ partial.CompressedImageCore = (*artifact)(nil)

func (a *artifact) RawConfigFile() ([]byte, error)      { return a.cfg, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.raw, nil }
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, _ := a.layer.Digest(); d == h {
		return a.layer, nil
	}
	if h == sha256Hash(a.cfg) {
		return static.NewLayer(a.cfg, EmptyMediaType), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}

func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}
