// Package deploy puts one image digest on edge hosts and verifies it.
//
// [NewPlan] works out, from a [manifest.Manifest] and the options alone,
// which image goes to which hosts in which waves; [Deploy] and [Verify]
// follow that plan, and a dry run prints it. [Deploy], host by host
// (canary first, then batches in parallel), connects over SSH with a
// verified host key (or, for a host marked local, runs the same steps
// against this machine's engine), learns the host's platform (from the
// manifest, or from its engine), picks that platform's image from the
// index (a host whose platform the image lacks fails before anything
// changes on it), and moves the image there:
//
//   - transfer scp asks the engine which images and layer chains it has and
//     sends a docker-load tarball holding only the layers it lacks (none when
//     it has the image); the host stores the bytes in a temporary file,
//     checks their size and SHA-256 before docker load reads them, and
//     removes the file on every way out, so a broken connection leaves no
//     partial file and no half-loaded image; the transfer is then sent again
//     over a new connection;
//   - transfer pull has the host pull by digest.
//
// The container strategy first runs the new release beside the old
// container as a candidate on ephemeral host ports and health-checks it
// there; when the check fails the candidate is removed and the old
// container, which never stopped, serves on (the host is reported rolled
// back). When it passes, the old container stops and the new one takes the
// published ports; the outage of that switch is probed and reported. The
// service's files are versioned in a store on the host and roll back with
// the image; [Undeploy] removes a service and what deploy left for it. With rollout.rollback the old container is kept,
// stopped, until the whole rollout succeeded, so that a rollout that stops
// (more than max_failures hosts failed) also puts back the hosts it had
// already updated.
//
// [Verify] checks a deployment: container running, restart count stable
// over a window, the probe passing and the running digest equal to the
// manifest's.
//
// Each host gets one strategy (container, compose or native) behind one
// small interface: deploy, verify, rollback and commit. Two strategies run
// the service without the container strategy's container. Strategy compose copies the manifest's compose file to
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
