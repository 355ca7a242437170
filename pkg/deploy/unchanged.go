package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sync"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// LabelSpec is put on a container deploy creates: a hash of everything
// else the container is made of (the service's settings and the content
// of its files), so that a redeploy can tell the host already runs it.
const LabelSpec = "xedgesim.spec"

// serviceSpec hashes what, beside the image, makes the service's
// container: a host that runs the same image with the same spec has
// nothing to change. "" when a file cannot be read (the deploy then says
// why).
func serviceSpec(m *manifest.Manifest, h manifest.Host) string {
	s := m.Service
	type file struct{ Dst, Mode, SHA256 string }
	spec := struct {
		Restart, Memory     string
		Network             string
		Ports, Volumes, Cmd []string
		Env                 map[string]string
		CPUs                float64
		Files               []file
		// A changed health check is a new deploy: it is checked again.
		Health manifest.Health
	}{s.Restart, s.Memory, s.Network, s.Ports, s.Volumes, s.Command, m.HostEnv(h), s.CPUs, nil, s.Health}
	for _, f := range s.Files {
		data, err := m.Render(f, h)
		if err != nil {
			return ""
		}
		sum := sha256.Sum256(data)
		spec.Files = append(spec.Files, file{f.Dst, f.Mode, hex.EncodeToString(sum[:])})
	}
	b, _ := json.Marshal(spec)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// secretName is a name whose value a report never shows.
var secretName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)pass|secret|token|key|credential|auth|private`) })

// Masked is values with those of secret-looking names (PASSWORD,
// API_TOKEN, ...) replaced by ***, for reports.
func Masked(values map[string]string) map[string]string {
	if len(values) == 0 {
		return nil
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		if secretName().MatchString(k) && v != "" {
			v = "***"
		}
		out[k] = v
	}
	return out
}

// runsAlready tells whether old, the service's container, is one deploy
// created from the image of platformDigest (still that image) with spec,
// and runs: a redeploy then leaves it as it is.
func runsAlready(old *container, digest, platformDigest, spec string) bool {
	if old == nil || spec == "" || !old.State.Running {
		return false
	}
	l := old.Config.Labels
	return l[LabelDigest] == digest && l[LabelPlatform] == platformDigest && l[LabelSpec] == spec &&
		l[LabelImageID] != "" && old.Image == l[LabelImageID]
}

// unchanged reports a host left as it was.
func (d *hostDeploy) unchanged(what string) {
	d.event("done", "%s already runs %s with the same settings and files: nothing to change", what, d.im.digest)
	d.rep.Unchanged = true
	d.rep.Result = ResultDeployed
}
