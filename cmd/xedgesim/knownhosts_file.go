package main

import (
	"fmt"
	"io"
	"os"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// maxKnownHostsFile bounds what --known-hosts reads.
const maxKnownHostsFile = 4 << 20

// load reads the manifest; with --known-hosts, the hosts that name no host
// key take the file's lines (hosts with keys of their own keep them).
func (r *deployRequest) load(u *ui, verb string) (*manifest.Manifest, error) {
	if r.knownHostsFile == "" {
		return loadManifest(u, r.file, verb)
	}
	f, err := os.Open(r.knownHostsFile)
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("reading --known-hosts: %w", err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKnownHostsFile+1))
	if err == nil && len(data) > maxKnownHostsFile {
		err = fmt.Errorf("larger than %d bytes", maxKnownHostsFile)
	}
	if err == nil {
		_, err = manifest.ParseKnownHosts(string(data))
	}
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("--known-hosts %s: %w (write lines as ssh-keyscan HOST prints them)", r.knownHostsFile, err))
	}
	return loadActionManifest(u, r.file, string(data))
}
