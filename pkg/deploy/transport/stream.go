package transport

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// Payload is a stream of known size and SHA-256 (hex) to send to a host.
type Payload struct {
	R      io.Reader
	Size   int64
	SHA256 string
	// Progress, when not nil, is called with the bytes sent so far.
	Progress func(int64)
}

// Compiled on first use: package init runs on every verb's start.
var (
	hexSum  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
	safeTag = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]+$`) })
)

// ReceiveScript is the shell script RunWithPayload runs on the host: it
// stores exactly size bytes of stdin in a temporary file, checks their
// size and SHA-256, and only then runs script with the file as "$f". The
// host removes the file on every way out, also when the connection breaks
// in the middle (stdin ends early, the check fails, the trap removes it),
// so no partial file is ever left behind, and script never sees a partial
// payload.
func ReceiveScript(tag string, size int64, sum, script string) string {
	return fmt.Sprintf(`set -u
f=$(mktemp "${TMPDIR:-/var/tmp}/xedgesim-%[1]s.XXXXXXXX") || exit 1
trap 'rm -f "$f"' EXIT
trap 'exit 129' HUP INT TERM PIPE
head -c %[2]d >"$f" || exit 1
n=$(wc -c <"$f")
if [ "$n" -ne %[2]d ]; then echo "received $n of %[2]d bytes" >&2; exit 1; fi
got=$(sha256sum "$f" | cut -d' ' -f1)
if [ "$got" != %[3]s ]; then echo "checksum mismatch: got sha256:$got, want sha256:%[3]s" >&2; exit 1; fi
%[4]s`, tag, size, sum, script)
}

// RunWithPayload sends p to the host into a temporary file and runs script
// there with the file as "$f" (see [ReceiveScript]); it returns script's
// stdout and the bytes sent, also when it fails. tag names the temporary
// file (letters, digits, ".", "_", "-").
func (c *Client) RunWithPayload(ctx context.Context, tag string, p Payload, script string) (string, int64, error) {
	if !hexSum().MatchString(p.SHA256) {
		return "", 0, fmt.Errorf("sending to %s: bad sha256 %q", c.name, p.SHA256)
	}
	if !safeTag().MatchString(tag) {
		return "", 0, fmt.Errorf("sending to %s: bad file tag %q", c.name, tag)
	}
	cr := &CountingReader{R: io.LimitReader(p.R, p.Size), Progress: p.Progress}
	out, err := c.run(ctx, ReceiveScript(tag, p.Size, p.SHA256, script), fmt.Sprintf("receive %d bytes; %s", p.Size, script), cr)
	return out, cr.N, err
}
