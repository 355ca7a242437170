package registry

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// tokenRegistry is a registry behind token auth as Docker Hub and GHCR
// have it: the ping is challenged, a token grants the actions its scope
// asked for on one repository, and a request without them is challenged
// again with the scope it needs.
type tokenRegistry struct {
	host  string
	inner http.Handler
	// expireAfter, when it matches a request that succeeded, expires
	// every token issued so far, as a push outlasting its tokens does.
	expireAfter func(*http.Request) bool
	// pullWhenThere grants a token for pull alone only on a repository
	// that has a manifest, as some registries do for a repository not
	// yet pushed (pull with push is granted).
	pullWhenThere bool

	mu     sync.Mutex
	gen    int // tokens of an earlier generation are expired
	there  bool
	issued int
}

func newTokenRegistry(t *testing.T, expireAfter func(*http.Request) bool, pullWhenThere bool) *tokenRegistry {
	t.Helper()
	tr := &tokenRegistry{expireAfter: expireAfter, pullWhenThere: pullWhenThere}
	tr.inner = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(tr)
	t.Cleanup(s.Close)
	tr.host = strings.TrimPrefix(s.URL, "http://")
	return tr
}

func (tr *tokenRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		tr.issue(w, r)
		return
	}
	repo, need := "", "pull"
	for _, sep := range []string{"/manifests/", "/blobs/", "/referrers/", "/tags/"} {
		if i := strings.Index(r.URL.Path, sep); i > 0 {
			repo = strings.TrimPrefix(r.URL.Path[:i], "/v2/")
			break
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		need = "push"
	}
	var gen int
	var tokRepo, actions string
	_, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "|", " "), "%d %s %s", &gen, &tokRepo, &actions)
	tr.mu.Lock()
	expired := err == nil && gen != tr.gen
	tr.mu.Unlock()
	ok := err == nil && !expired && (repo == "" || tokRepo == repo && slices.Contains(strings.Split(actions, ","), need))
	if !ok {
		c := fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, tr.host)
		if repo != "" {
			scope := "pull"
			if need == "push" {
				scope = "pull,push"
			}
			c += fmt.Sprintf(`,scope="repository:%s:%s"`, repo, scope)
		}
		if expired {
			c += `,error="invalid_token"`
		} else if err == nil {
			c += `,error="insufficient_scope"`
		}
		w.Header().Set("WWW-Authenticate", c)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	tr.inner.ServeHTTP(sw, r)
	if sw.code < 300 {
		tr.mu.Lock()
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			tr.there = true
		}
		if tr.expireAfter != nil && tr.expireAfter(r) {
			tr.gen++
		}
		tr.mu.Unlock()
	}
}

// issue grants what each scope asks for, on the repository of the first.
func (tr *tokenRegistry) issue(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	scopes := strings.Fields(strings.Join(r.Form["scope"], " "))
	withPush := slices.ContainsFunc(scopes, func(s string) bool { return strings.Contains(s, "push") })
	repo, actions := "-", []string{}
	for _, s := range scopes {
		parts := strings.Split(s, ":")
		if len(parts) != 3 || parts[0] != "repository" || repo != "-" && parts[1] != repo {
			continue
		}
		repo = parts[1]
		for _, a := range strings.Split(parts[2], ",") {
			if a == "pull" && tr.pullWhenThere && !tr.there && !withPush || slices.Contains(actions, a) {
				continue
			}
			actions = append(actions, a)
		}
	}
	if len(actions) == 0 {
		actions = []string{"none"}
	}
	tr.issued++
	tok := fmt.Sprintf("%d|%s|%s", tr.gen, repo, strings.Join(actions, ","))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"token": tok, "access_token": tok})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// TestPushTokenAuth: the verification reads with the pull token the push
// got before it wrote anything. A token that expired while the push ran,
// or one that granted no pull on a repository that did not exist yet, is
// challenged, and the push fetches a new one rather than failing.
func TestPushTokenAuth(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		expireAfter   func(*http.Request) bool
		pullWhenThere bool
		// tokens are the tokens issued: the reads' and the writes', one
		// more for each challenge the push met, and Verify's.
		tokens int
	}{
		{name: "tokens last the push", tokens: 3},
		{name: "tokens expire once the last tag is put", expireAfter: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/v2")
		}, tokens: 4},
		// The check before the push is refused even with a new token, and
		// the push goes the whole way.
		{name: "no pull before the repository exists", pullWhenThere: true, tokens: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := newTokenRegistry(t, tc.expireAfter, tc.pullWhenThere)
			idx := twoPlatformIndex(t)
			c := fastClient(t, nil, WithCredentials(reg.host, "user", "secret"), WithKeychain(emptyKeychain{}))
			res, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, reg.host+"/team/app:v1", WithTags("v2"))
			if err != nil {
				t.Fatalf("Push() = %v", err)
			}
			if want := mustDigest(t, idx); res.Digest != want {
				t.Errorf("Push() = %s, want %s", res.Digest, want)
			}
			if err := c.Verify(ctx(t), res.Ref); err != nil {
				t.Errorf("Verify() = %v", err)
			}
			reg.mu.Lock()
			defer reg.mu.Unlock()
			if reg.issued != tc.tokens {
				t.Errorf("%d tokens issued, want %d", reg.issued, tc.tokens)
			}
		})
	}
}
