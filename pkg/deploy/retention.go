package deploy

import (
	"context"
	"strings"
)

// LabelReleases is put on the service's container: the image references
// of its releases on the host, newest (its own) first, rollout.keep of
// them. Older images of the service are removed once a deploy is final.
const LabelReleases = "xedgesim.releases"

// releaseList is the new container's LabelReleases: ref, then the old
// container's releases, keep in all.
func releaseList(old *container, ref string, keep int) string {
	list := []string{ref}
	if old != nil {
		for _, r := range strings.Split(old.Config.Labels[LabelReleases], ",") {
			if len(list) >= keep {
				break
			}
			if r != "" && r != ref {
				list = append(list, r)
			}
		}
	}
	return strings.Join(list, ",")
}

// pruneImages removes the service's images that deploy sent (tagged
// xedgesim.local/SERVICE) and that are not among the kept releases. An
// image a container still uses stays (docker refuses to remove it);
// images the host pulled by digest are the host's to keep.
func (d *hostDeploy) pruneImages(ctx context.Context, kept string) {
	if err := engineOf(d.c).pruneImages(ctx, "xedgesim.local/"+d.m.Service.Name, strings.Split(kept, ",")); err != nil {
		d.event("done", "removing old images: %v", err)
	}
	d.pruneFiles(ctx)
}
