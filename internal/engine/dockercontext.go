package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xedgesim/simulate/internal/readlimit"
)

// The docker CLI's context store, as `docker context create` writes it: a
// context's files live under a directory named by the SHA-256 of its name.
const (
	defaultContext = "default" // DOCKER_HOST, else DefaultHost
	maxContextFile = 1 << 20   // config.json and meta.json are a few KiB
)

// endpoint is the engine a docker context names.
type endpoint struct {
	context string // "" for the default context
	host    string
	tlsDir  string // the context's TLS files, "" when it has none
	skipTLS bool
}

// resolveEndpoint finds the engine the docker CLI would reach with no
// --host or --context flag: DOCKER_HOST, else the context DOCKER_CONTEXT
// names, else the config's currentContext, else DefaultHost. Users of
// rootless Docker, colima or Docker Desktop only have a context, and
// `docker buildx build` already follows it: the containers must run on
// the engine the images were built into.
func resolveEndpoint(getenv func(string) string) (endpoint, error) {
	if h := getenv("DOCKER_HOST"); h != "" {
		return endpoint{host: h}, nil
	}
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return endpoint{host: DefaultHost}, nil // no home: no config either
		}
		dir = filepath.Join(home, ".docker")
	}
	name, from := getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	if name == "" {
		var err error
		if name, err = currentContext(dir); err != nil {
			return endpoint{}, err
		}
		from = "currentContext in " + filepath.Join(dir, "config.json")
	}
	if name == "" || name == defaultContext {
		return endpoint{host: DefaultHost}, nil
	}
	return contextEndpoint(dir, name, from)
}

// currentContext is config.json's currentContext, "" when the file or the
// field is absent.
func currentContext(dir string) (string, error) {
	path := filepath.Join(dir, "config.json")
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := readJSON(path, &cfg); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("docker config: %w", err)
	}
	return cfg.CurrentContext, nil
}

// contextEndpoint reads context name's docker endpoint from the store in
// dir; from says where the name came from, for messages.
func contextEndpoint(dir, name, from string) (endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	var m struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := readJSON(meta, &m); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return endpoint{}, fmt.Errorf("docker context %q (from %s) is not in %s: create it with `docker context create` or unset it", name, from, filepath.Join(dir, "contexts"))
		}
		return endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	ep := endpoint{context: name, host: m.Endpoints["docker"].Host, skipTLS: m.Endpoints["docker"].SkipTLSVerify}
	if ep.host == "" {
		ep.host = DefaultHost
	}
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(tlsDir); err == nil {
		ep.tlsDir = tlsDir
	}
	return ep, nil
}

// readJSON decodes the JSON file at path into v: a regular file of at
// most maxContextFile bytes.
func readJSON(path string, v any) error {
	b, err := readlimit.ReadFile(path, maxContextFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err) // read errors name the path already
	}
	return nil
}
