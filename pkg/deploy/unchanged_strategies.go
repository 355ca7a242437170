package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// composeSpec is the compose strategy's LabelSpec: the service's settings
// and files (serviceSpec) and the compose file as written.
func composeSpec(m *manifest.Manifest, h manifest.Host) string {
	spec := serviceSpec(m, h)
	if spec == "" {
		return ""
	}
	sum := sha256.Sum256(append([]byte(spec+"\n"+m.Compose.Service+"\n"), m.Compose.Data...))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// composeRunsAlready tells whether the service's compose containers are
// all running, created by a deploy of digest (its platformDigest image,
// still that image) with spec: a redeploy then leaves them as they are.
func composeRunsAlready(cs []*container, digest, platformDigest, spec string) bool {
	if len(cs) == 0 {
		return false
	}
	for _, ct := range cs {
		if !runsAlready(ct, digest, platformDigest, spec) {
			return false
		}
	}
	return true
}

// runsAlready tells whether the host's current release is the one a
// deploy of platformDigest would install (same binary, settings, files
// and program section) and the supervisor runs it: a redeploy then
// leaves it as it is.
func (ns *nativeStrategy) runsAlready(ctx context.Context, d *hostDeploy, sup supervisor, r *release, platformDigest, sum, spec string) bool {
	if r == nil || spec == "" || r.Digest != d.im.digest || r.PlatformDigest != platformDigest || r.SHA256 != sum || r.Spec != spec {
		return false
	}
	// The section names the deploy that wrote it on its first line; the
	// rest must be what this deploy would write.
	if !ns.hadConf || afterFirstLine(ns.oldConf) != afterFirstLine(ns.conf) {
		return false
	}
	c := d.c
	have, err := c.Run(ctx, "sha256sum "+shell(ns.m.Native.Dir+"/current/"+path.Base(r.Binary))+" | cut -d' ' -f1", nil)
	if err != nil || strings.TrimSpace(have) != sum {
		return false
	}
	st, err := sup.status(ctx, c)
	return err == nil && st.running
}

func afterFirstLine(s string) string {
	_, rest, _ := strings.Cut(s, "\n")
	return rest
}
