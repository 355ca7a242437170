package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDeployRequests: the calls a deploy makes send what the engine's API
// wants, and NewDialer reaches the engine through its dial function.
func TestDeployRequests(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		"GET /v1.44/version":               `{"Os":"linux","Arch":"arm","Version":"27.0"}`,
		"GET /v1.44/info":                  `{"DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]],"Architecture":"armv7l"}`,
		"GET /v1.44/containers/c1/json":    `{"Id":"c1","Name":"/svc","Config":{"Labels":{"k":"v"}}}`,
		"GET /v1.44/containers/json":       `[{"Id":"c1"},{"Id":"c2"}]`,
		"POST /v1.44/containers/c1/stop":   "",
		"POST /v1.44/containers/c1/rename": "",
		"POST /v1.44/containers/c1/update": `{"Warnings":[]}`,
		"POST /v1.44/images/sha256:aa/tag": "",
		"GET /v1.44/images/json":           `[{"Id":"sha256:aa","RepoTags":["xedgesim.local/s:1"]}]`,
		"GET /v1.44/images/sha256:aa/json": `{"Id":"sha256:aa","RootFS":{"Layers":["sha256:l1","sha256:l2"]}}`,
	}
	direct, got := fakeEngine(t, "1.47", func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		if a == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, a)
	})
	dials := 0
	c := NewDialer("unix:///var/run/docker.sock on edge", func(ctx context.Context) (net.Conn, error) {
		dials++
		return direct.dial(ctx)
	})
	defer c.Close()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := c.ServerVersion(ctx)
	must(err)
	info, err := c.Info(ctx)
	must(err)
	var ctr struct {
		Name   string
		Config struct{ Labels map[string]string }
	}
	must(c.ContainerInspectInto(ctx, "c1", &ctr))
	ids, err := c.ContainerListFiltered(ctx, map[string][]string{"label": {"a=b"}, "status": {"created"}})
	must(err)
	must(c.ContainerStop(ctx, "c1", 10*time.Second))
	must(c.ContainerRename(ctx, "c1", "svc-prev"))
	must(c.ContainerUpdateRestart(ctx, "c1", RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}))
	must(c.ImageTag(ctx, "sha256:aa", "xedgesim.local/s", "2"))
	imgs, err := c.ImageList(ctx, false, "xedgesim.local/s")
	must(err)
	id, layers, err := c.ImageLayers(ctx, "sha256:aa")
	must(err)

	type result struct {
		Version    ServerVersion
		Info       SystemInfo
		Name       string
		Labels     map[string]string
		IDs        []string
		Images     []ImageSummary
		ID         string
		Layers     []string
		DialedOnce bool
	}
	want := result{
		Version: ServerVersion{Os: "linux", Arch: "arm"},
		Info:    SystemInfo{DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}, Architecture: "armv7l"},
		Name:    "/svc", Labels: map[string]string{"k": "v"}, IDs: []string{"c1", "c2"},
		Images: []ImageSummary{{ID: "sha256:aa", RepoTags: []string{"xedgesim.local/s:1"}}},
		ID:     "sha256:aa", Layers: []string{"sha256:l1", "sha256:l2"}, DialedOnce: true,
	}
	gotR := result{v, info, ctr.Name, ctr.Config.Labels, ids, imgs, id, layers, dials >= 1}
	if diff := cmp.Diff(want, gotR); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	wantReqs := []recorded{
		{Method: "GET", Path: "/v1.44/version"},
		{Method: "GET", Path: "/v1.44/info"},
		{Method: "GET", Path: "/v1.44/containers/c1/json"},
		{Method: "GET", Path: "/v1.44/containers/json", Query: "all=1&filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%2C%22status%22%3A%7B%22created%22%3Atrue%7D%7D"},
		{Method: "POST", Path: "/v1.44/containers/c1/stop", Query: "t=10"},
		{Method: "POST", Path: "/v1.44/containers/c1/rename", Query: "name=svc-prev"},
		{Method: "POST", Path: "/v1.44/containers/c1/update", Body: map[string]any{"RestartPolicy": map[string]any{"Name": "on-failure", "MaximumRetryCount": float64(3)}}},
		{Method: "POST", Path: "/v1.44/images/sha256:aa/tag", Query: "repo=xedgesim.local%2Fs&tag=2"},
		{Method: "GET", Path: "/v1.44/images/json", Query: "filters=%7B%22reference%22%3A%7B%22xedgesim.local%2Fs%22%3Atrue%7D%7D"},
		{Method: "GET", Path: "/v1.44/images/sha256:aa/json"},
	}
	if diff := cmp.Diff(wantReqs, got()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
