package manifest

import (
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/readlimit"
)

// MaxKnownHostsFile bounds what ssh.known_hosts_file reads.
const MaxKnownHostsFile = 4 << 20

// knownHostsFile reads ssh.known_hosts_file (relative to the manifest)
// before the hosts are read: its lines serve the hosts that name no
// known_hosts and no fingerprint, as ssh -o UserKnownHostsFile does.
func (d *decoder) knownHostsFile(n *yaml.Node, m *Manifest) {
	if n == nil || n.Kind != yaml.MappingNode {
		return // ssh's own reading reports it
	}
	var val *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "known_hosts_file" {
			val = n.Content[i+1]
		}
	}
	if val == nil {
		return
	}
	path := d.str(field{Val: val}, "ssh.known_hosts_file")
	if path == "" {
		d.Errorf(val, "", "write known_hosts_file: known_hosts (a file as ssh-keyscan writes it)", "ssh.known_hosts_file is empty")
		d.knownHostsBad = true
		return
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.Dir, path)
	}
	m.SSH.KnownHostsFile = path
	data, err := readlimit.ReadFile(path, MaxKnownHostsFile)
	if err == nil {
		_, err = ParseKnownHosts(string(data))
	}
	if err != nil {
		d.Errorf(val, "", "write lines as ssh-keyscan HOST prints them; the path is relative to the manifest", "ssh.known_hosts_file %s: %v", path, err)
		d.knownHostsBad = true
		return
	}
	d.knownHosts = string(data)
}
