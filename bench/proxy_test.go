package main

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestRegistryProxyCountsUploads(t *testing.T) {
	backend := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer backend.Close()
	p, err := newRegistryProxy(strings.TrimPrefix(backend.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img, err := random.Image(1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(p.Addr+"/bench/img:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	m, _ := img.Manifest()
	for _, l := range m.Layers {
		size += l.Size
	}
	size += m.Config.Size

	for _, tc := range []struct {
		name          string
		wantUploads   int
		wantBytes     int64
		wantManifests int
	}{
		{"first", 3, size, 1},
		{"again", 0, 0, 0}, // go-containerregistry skips a manifest the registry has
	} {
		if err := remote.Write(ref, img); err != nil {
			t.Fatalf("%s: writing through the proxy: %v", tc.name, err)
		}
		got := p.take()
		got.Requests = 0
		want := regCounts{Uploads: tc.wantUploads, Bytes: tc.wantBytes, Manifests: tc.wantManifests}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s push: counts (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestRegistryProxyDropsMounts(t *testing.T) {
	var query string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.WriteHeader(http.StatusAccepted)
	}))
	defer backend.Close()
	p, err := newRegistryProxy(strings.TrimPrefix(backend.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := http.Post("http://"+p.Addr+"/v2/dst/blobs/uploads/?mount=sha256:00&from=src&origin=r.example", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if query != "" {
		t.Errorf("the registry got the query %q, want the mount parameters dropped", query)
	}
	if got := p.take(); got.Mounts != 0 || got.Uploads != 0 {
		t.Errorf("counts %+v, want no mount and no upload", got)
	}
}

func TestTCPProxyCounts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Write([]byte("ok"))
		c.Close()
	}()
	p, err := newTCPProxy(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(bytes.Repeat([]byte("x"), 100000)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	reply, err := io.ReadAll(c)
	c.Close()
	if err != nil || string(reply) != "ok" {
		t.Fatalf("reply %q, %v; want ok", reply, err)
	}
	up, down, err := p.take()
	if err != nil {
		t.Fatal(err)
	}
	if up != 100000 || down != 2 {
		t.Errorf("take() = %d up, %d down; want 100000, 2", up, down)
	}
}
