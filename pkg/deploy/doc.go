// Package deploy puts one image digest on edge hosts and verifies it.
//
// [Deploy] reads a [manifest.Manifest] and, host by host (canary first,
// then batches in parallel), connects over SSH with a verified host key,
// picks the image of the host's platform from the index (a host whose
// platform the image lacks fails before anything changes on it), moves the
// image there (transfer scp: a docker-load tarball over SSH, checksummed;
// transfer pull: the host pulls by digest), creates the new container
// beside the old one, health-checks it, and then removes the old one; when
// the check fails the new container is removed and the old one serves
// again (the host is reported rolled back). [Verify] checks a deployment:
// container running, restart count stable over a window, the probe passing
// and the running digest equal to the manifest's.
//
// Two other strategies run the service without the container strategy's
// container. Strategy compose copies the manifest's compose file to
// DIR/compose.yaml with the service's image pinned to what was
// transferred (the loaded image, or REPO@sha256:... with transfer pull) and
// the service labelled with the digest and deploy id, applies it with the
// host's compose tool (docker compose, else docker-compose), and on a
// failed check applies the previous file again. Strategy native, for hosts
// short of disk, takes the program out of the platform image on the client,
// sends only it (skipped when that release is already there), installs it
// as DIR/releases/VERSION with DIR/current pointing at it, and has
// supervisord (a program section in conf.d beside its config) or systemd
// (a unit) run DIR/current/PROGRAM; on a failed check the link and the
// section go back and the previous program runs again. A first deploy that
// fails leaves nothing of itself behind on the host with either strategy.
//
// The package never prints: progress goes to a [Progress].
package deploy
