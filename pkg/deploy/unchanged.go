package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

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
func serviceSpec(m *manifest.Manifest, env map[string]string) string {
	s := m.Service
	type file struct{ Dst, Mode, SHA256 string }
	spec := struct {
		Restart, Memory     string
		Ports, Volumes, Cmd []string
		Env                 map[string]string
		CPUs                float64
		Files               []file
	}{s.Restart, s.Memory, s.Ports, s.Volumes, s.Command, env, s.CPUs, nil}
	for _, f := range s.Files {
		src := f.Src
		if !filepath.IsAbs(src) {
			src = filepath.Join(m.Dir, src)
		}
		fh, err := os.Open(src)
		if err != nil {
			return ""
		}
		h := sha256.New()
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return ""
		}
		spec.Files = append(spec.Files, file{f.Dst, f.Mode, hex.EncodeToString(h.Sum(nil))})
	}
	b, _ := json.Marshal(spec)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
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
