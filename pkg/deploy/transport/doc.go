// Package transport runs commands on and copies files to a deploy target
// over SSH (golang.org/x/crypto/ssh, files with go-scp).
//
// Host keys are always verified, against known_hosts lines or SHA256
// fingerprints, for every key type; a key that is unknown or changed is a
// [*HostKeyError] (exit code 3) that names the fingerprint the host
// presented. A remote command that fails is a [*CommandError] with its exit
// status and stderr. Uploads go to a temporary name, are checksummed on the
// host and renamed into place, so a broken transfer never leaves a
// half-written file under the final name. [Client.RunWithPayload] streams a
// payload (an image tarball) into a temporary file that the host itself
// checks and removes on every way out, a broken connection included, before
// and after a command reads it.
package transport
