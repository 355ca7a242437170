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
// The package never prints: progress goes to a [Progress].
package deploy
