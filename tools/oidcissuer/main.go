// Command oidcissuer is the test bed's OIDC identity provider. It stands
// in for https://token.actions.githubusercontent.com, which the bed cannot
// reach: it publishes an OpenID discovery document and its signing key
// (JWKS), and issues ES256 ID tokens with GitHub Actions' claims, so the
// bed's Fulcio (issuer type github-workflow) certifies exactly the
// identity a release workflow gets on GitHub.
//
// Tokens come two ways, both only to loopback clients:
//
//	GET /token?audience=sigstore&job_workflow_ref=...   GitHub's ID token
//	    request (ACTIONS_ID_TOKEN_REQUEST_URL); answers {"value": JWT}
//	    and needs "Authorization: bearer <-request-token>".
//
// Query parameters other than audience override claims, so a test can ask
// for another workflow's identity. The signing key lives only in memory.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5013", "listen address")
	issuer := flag.String("issuer", "", "the issuer URL tokens name (default http://ADDR)")
	tokenFile := flag.String("request-token-file", "", "file holding the bearer token /token requires")
	flag.Parse()
	if *issuer == "" {
		*issuer = "http://" + *addr
	}
	reqToken, err := os.ReadFile(*tokenFile)
	if err != nil || len(reqToken) == 0 {
		log.Fatalf("-request-token-file: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	s := &server{issuer: *issuer, key: key, reqToken: trimNL(reqToken)}
	s.kid = s.keyID()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /token", s.token)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	log.Printf("oidcissuer: issuer %s on %s", s.issuer, *addr)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

type server struct {
	issuer   string
	key      *ecdsa.PrivateKey
	kid      string
	reqToken []byte
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func coord(n *big.Int) string {
	b := make([]byte, 32)
	return b64(n.FillBytes(b))
}

func (s *server) keyID() string {
	sum := sha256.Sum256([]byte(coord(s.key.X) + coord(s.key.Y)))
	return b64(sum[:8])
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                s.issuer,
		"jwks_uri":                              s.issuer + "/jwks",
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_id", "repository_owner", "repository_owner_id", "run_id", "run_attempt", "sha", "workflow", "workflow_ref", "workflow_sha", "job_workflow_ref", "job_workflow_sha", "event_name", "runner_environment", "repository_visibility"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"scopes_supported":                      []string{"openid"},
	})
}

func (s *server) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": s.kid,
		"x": coord(s.key.X), "y": coord(s.key.Y),
	}}})
}

// loopback refuses requests that do not come from this machine: the
// bed's edges reach the host's addresses too.
func loopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

func (s *server) token(w http.ResponseWriter, r *http.Request) {
	if !loopback(r) {
		http.Error(w, "tokens are issued to loopback clients only", http.StatusForbidden)
		return
	}
	const prefix = "bearer "
	auth := r.Header.Get("Authorization")
	if len(auth) <= len(prefix) || subtle.ConstantTimeCompare([]byte(auth[len(prefix):]), s.reqToken) != 1 {
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	aud := q.Get("audience")
	if aud == "" {
		aud = "sigstore"
	}
	now := time.Now()
	repo := "xedgesim/simulate"
	claims := map[string]any{
		"iss": s.issuer, "aud": aud, "iat": now.Unix(), "nbf": now.Add(-5 * time.Second).Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"jti": strconv.FormatInt(now.UnixNano(), 36), "sub": "repo:" + repo + ":ref:refs/heads/main",
		"ref": "refs/heads/main", "sha": "0000000000000000000000000000000000000001", "repository": repo,
		"repository_id": "1", "repository_owner": "xedgesim", "repository_owner_id": "1", "repository_visibility": "public",
		"run_id": "1", "run_attempt": "1", "event_name": "push", "runner_environment": "self-hosted",
		"workflow":         "release",
		"workflow_ref":     repo + "/.github/workflows/release.yml@refs/heads/main",
		"workflow_sha":     "0000000000000000000000000000000000000001",
		"job_workflow_ref": repo + "/.github/workflows/release.yml@refs/heads/main",
		"job_workflow_sha": "0000000000000000000000000000000000000001",
	}
	for k, v := range q {
		if k != "audience" && len(v) > 0 && k != "iss" {
			claims[k] = v[0]
		}
	}
	if v := q.Get("exp_in"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			http.Error(w, "exp_in: "+err.Error(), http.StatusBadRequest)
			return
		}
		delete(claims, "exp_in")
		claims["exp"] = now.Add(d).Unix()
	}
	jwt, err := s.sign(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"value": jwt, "count": 1})
}

func (s *server) sign(claims map[string]any) (string, error) {
	h, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": s.kid})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	msg := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(msg))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return msg + "." + b64(sig), nil
}
