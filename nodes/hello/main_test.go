package main

import (
	"io"
	"net/http/httptest"
	"runtime"
	"testing"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, path, want string
		code             int
	}{
		{"root", "/", "hello from " + runtime.GOOS + "/" + runtime.GOARCH + "\n", 200},
		{"health", "/healthz", "ok\n", 200},
		{"unknown", "/nope", "404 page not found\n", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.code || string(body) != tc.want {
				t.Errorf("GET %s = %d %q, want %d %q", tc.path, rec.Code, body, tc.code, tc.want)
			}
		})
	}
}
