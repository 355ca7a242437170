package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeContext stores a docker context as `docker context create` does.
func writeContext(t *testing.T, dir, name, host string, skipTLS bool) string {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(dir, "contexts", "meta", id)
	if err := os.MkdirAll(meta, 0o700); err != nil {
		t.Fatal(err)
	}
	skip := "false"
	if skipTLS {
		skip = "true"
	}
	body := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":` + skip + `}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "contexts", "tls", id, "docker")
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvFollowsDockerContexts(t *testing.T) {
	dir := t.TempDir()
	writeContext(t, dir, "rootless", "unix:///run/user/1000/docker.sock", false)
	writeContext(t, dir, "colima", "unix:///home/u/.colima/default/docker.sock", false)
	writeContext(t, dir, "remote", "ssh://u@edge", false)
	writeContext(t, dir, "nohost", "", false)
	writeFile(t, filepath.Join(dir, "config.json"), `{"auths":{},"currentContext":"colima"}`)
	empty := t.TempDir()
	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "config.json"), `{"currentContext":`)
	big := t.TempDir()
	writeFile(t, filepath.Join(big, "config.json"), `{"x":"`+strings.Repeat("a", maxContextFile)+`"}`)

	tests := []struct {
		name     string
		env      map[string]string
		wantHost string
		wantErr  string
	}{
		{"DOCKER_HOST wins", map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375", "DOCKER_CONTEXT": "rootless", "DOCKER_CONFIG": dir}, "tcp://10.0.0.1:2375", ""},
		{"DOCKER_CONTEXT over the config", map[string]string{"DOCKER_CONTEXT": "rootless", "DOCKER_CONFIG": dir}, `unix:///run/user/1000/docker.sock (docker context "rootless")`, ""},
		{"the config's currentContext", map[string]string{"DOCKER_CONFIG": dir}, `unix:///home/u/.colima/default/docker.sock (docker context "colima")`, ""},
		{"DOCKER_CONTEXT=default", map[string]string{"DOCKER_CONTEXT": "default", "DOCKER_CONFIG": dir}, DefaultHost, ""},
		{"a context without a host", map[string]string{"DOCKER_CONTEXT": "nohost", "DOCKER_CONFIG": dir}, DefaultHost + ` (docker context "nohost")`, ""},
		{"no config", map[string]string{"DOCKER_CONFIG": empty}, DefaultHost, ""},
		{"a context that is not there", map[string]string{"DOCKER_CONTEXT": "gone", "DOCKER_CONFIG": dir}, "", `docker context "gone" (from DOCKER_CONTEXT) is not in ` + filepath.Join(dir, "contexts") + ": create it with `docker context create` or unset it"},
		{"an ssh context", map[string]string{"DOCKER_CONTEXT": "remote", "DOCKER_CONFIG": dir}, "", `docker context "remote": docker host "ssh://u@edge": unsupported scheme "ssh" (want unix:// or tcp://)`},
		{"a broken config", map[string]string{"DOCKER_CONFIG": bad}, "", "docker config: " + filepath.Join(bad, "config.json") + ": unexpected end of JSON input"},
		{"a huge config", map[string]string{"DOCKER_CONFIG": big}, "", "docker config: open " + filepath.Join(big, "config.json") + ": the file is larger than the limit of 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromEnv(func(k string) string { return tt.env[k] })
			var host, msg string
			if err != nil {
				msg = err.Error()
			} else {
				host = c.Host()
			}
			if diff := cmp.Diff([]string{tt.wantHost, tt.wantErr}, []string{host, msg}); diff != "" {
				t.Errorf("fromEnv() host, error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A tcp:// context with TLS files is reached over TLS verified against
// the context's CA; SkipTLSVerify skips the check, as the docker CLI does.
func TestContextTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.44")
		_, _ = w.Write([]byte("OK"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	host := "tcp://" + srv.Listener.Addr().String()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	otherCA := selfSigned(t)

	dir := t.TempDir()
	writeFile(t, filepath.Join(writeContext(t, dir, "tls", host, false), "ca.pem"), string(ca))
	writeFile(t, filepath.Join(writeContext(t, dir, "wrongca", host, false), "ca.pem"), string(otherCA))
	writeFile(t, filepath.Join(writeContext(t, dir, "skip", host, true), "ca.pem"), string(otherCA))
	writeContext(t, dir, "plain", host, false)
	// A client certificate without ca.pem: the system's roots, which do
	// not hold the test server's.
	writeFile(t, filepath.Join(writeContext(t, dir, "certonly", host, false), "cert.pem"), "")

	tests := []struct {
		context string
		wantErr string
	}{
		{"tls", ""},
		{"wrongca", "certificate signed by unknown authority"},
		{"skip", ""},
		{"plain", "HTTP request to an HTTPS server"}, // no TLS files: plain HTTP, as the docker CLI speaks then
		{"certonly", "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.context, func(t *testing.T) {
			env := map[string]string{"DOCKER_CONFIG": dir, "DOCKER_CONTEXT": tt.context}
			c, err := fromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Ping(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Ping() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Ping() = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// selfSigned is a CA certificate that signed nothing the test serves.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
