package registry

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// observer watches the final answers to a push's requests and records
// what the registry did with each blob.
type observer struct {
	inner    http.RoundTripper
	blobs    map[v1.Hash]blobInfo
	reporter Reporter

	mu     sync.Mutex
	states map[v1.Hash]BlobState
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.inner.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	p := req.URL.Path
	var digest string
	var state BlobState
	switch {
	case req.Method == http.MethodHead && strings.Contains(p, "/blobs/sha256:") && resp.StatusCode == http.StatusOK:
		digest, state = p[strings.LastIndex(p, "/")+1:], BlobExisting
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/blobs/uploads/") && resp.StatusCode == http.StatusCreated:
		digest, state = req.URL.Query().Get("mount"), BlobMounted
	case req.Method == http.MethodPut && strings.Contains(p, "/blobs/uploads/") && resp.StatusCode == http.StatusCreated:
		digest, state = queryDigest(req.URL), BlobUploaded
	}
	if digest != "" {
		o.record(digest, state)
	}
	return resp, nil
}

func queryDigest(u *url.URL) string { return u.Query().Get("digest") }

func (o *observer) record(digest string, state BlobState) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return
	}
	o.mu.Lock()
	if _, done := o.states[h]; done {
		o.mu.Unlock()
		return
	}
	o.states[h] = state
	o.mu.Unlock()
	bi := o.blobs[h]
	o.reporter.Blob(BlobEvent{Platforms: bi.platforms, Digest: h, Size: bi.size, State: state})
}

// results counts per platform; a blob nobody touched was there already
// (its manifest existed, so the push skipped it).
func (o *observer) results(platforms []platformBlobs) []PlatformResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []PlatformResult
	for _, p := range platforms {
		r := PlatformResult{Platform: p.name, Digest: p.digest}
		for _, b := range p.blobs {
			r.Blobs++
			r.Bytes += b.Size
			switch o.states[b.Digest] {
			case BlobUploaded:
				r.Uploaded++
				r.UploadedBytes += b.Size
			case BlobMounted:
				r.Mounted++
			default:
				r.Existing++
			}
		}
		out = append(out, r)
	}
	return out
}

// uploaded counts the blobs uploaded, each once.
func (o *observer) uploaded() (n int, size int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for h, s := range o.states {
		if s == BlobUploaded {
			n++
			size += o.blobs[h].size
		}
	}
	return n, size
}
