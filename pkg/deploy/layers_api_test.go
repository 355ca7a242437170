package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/engine"
)

// fakeImageEngine answers an engine's /info, /images/json and image
// inspects for images img0..img(n-1): img(i) has layers l0..l(i). gone
// images are listed but answer 404; broken ones answer 500. It records
// how many inspects were in flight at most.
type fakeImageEngine struct {
	n            int
	gone, broken map[int]bool
	// together is how many inspects each one waits for (at most a
	// second) before it answers, so that concurrency shows.
	together int

	mu             sync.Mutex
	inflight, most int
	all            chan struct{}
	allOnce        sync.Once
}

func (f *fakeImageEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.44")
	path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:] // without /vX.Y
	switch {
	case r.URL.Path == "/_ping":
		io.WriteString(w, "OK")
	case path == "/info":
		io.WriteString(w, `{"DriverStatus":[["Backing Filesystem","extfs"]],"Architecture":"x86_64"}`)
	case path == "/images/json":
		var list []map[string]any
		for i := range f.n {
			list = append(list, map[string]any{"Id": fmt.Sprintf("sha256:img%d", i)}, map[string]any{"Id": fmt.Sprintf("sha256:img%d", i)})
		}
		_ = json.NewEncoder(w).Encode(list)
	case strings.HasPrefix(path, "/images/sha256:img"):
		var i int
		fmt.Sscanf(strings.TrimPrefix(path, "/images/sha256:img"), "%d", &i)
		f.mu.Lock()
		f.inflight++
		f.most = max(f.most, f.inflight)
		if f.inflight >= f.together {
			f.allOnce.Do(func() { close(f.all) })
		}
		f.mu.Unlock()
		select {
		case <-f.all:
		case <-time.After(time.Second):
		}
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
		switch {
		case f.gone[i]:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such image"}`)
			return
		case f.broken[i]:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"message":"the layer store is broken"}`)
			return
		}
		var layers []string
		for k := range i + 1 {
			layers = append(layers, fmt.Sprintf("sha256:l%d", k))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Id": fmt.Sprintf("sha256:img%d", i), "RootFS": map[string]any{"Layers": layers}})
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"not here"}`)
	}
}

func fakeAPIEngine(t *testing.T, h http.Handler) apiEngine {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cl := engine.NewDialer("tcp://"+srv.Listener.Addr().String(), func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	})
	t.Cleanup(func() { cl.Close() })
	return apiEngine{cl: cl}
}

// TestAPILayersAtOnce: the engine's images are inspected several at once
// (at most inspectsAtOnce), each listed image once; an image removed since
// the listing is left out, and one the engine cannot inspect fails the
// whole answer.
func TestAPILayersAtOnce(t *testing.T) {
	t.Parallel()
	f := &fakeImageEngine{n: 20, gone: map[int]bool{3: true}, together: inspectsAtOnce, all: make(chan struct{})}
	el, err := fakeAPIEngine(t, f).layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.most != inspectsAtOnce {
		t.Errorf("at most %d inspects in flight, want %d", f.most, inspectsAtOnce)
	}
	if el.images["sha256:img3"] || !el.images["sha256:img19"] || len(el.images) != 19 {
		t.Errorf("images %v: want img0..img19 without img3", el.images)
	}
	want := &engineLayers{images: el.images, chains: map[string]bool{}}
	for i := range 20 {
		want.chains[chain(i)] = true
	}
	if diff := cmp.Diff(want, el, cmp.AllowUnexported(engineLayers{})); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}

	f = &fakeImageEngine{n: 12, broken: map[int]bool{5: true}, together: 1, all: make(chan struct{})}
	if _, err := fakeAPIEngine(t, f).layers(context.Background()); err == nil || !strings.Contains(err.Error(), "the layer store is broken") {
		t.Errorf("layers with an image the engine cannot inspect: %v, want its error", err)
	}
}

// chain is the diff-ID chain l0,...,l(i).
func chain(i int) string {
	var b strings.Builder
	for k := range i + 1 {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "sha256:l%d", k)
	}
	return b.String()
}
