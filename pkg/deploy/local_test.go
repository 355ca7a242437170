package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// TestReceivePayload runs the receive script of every image transfer
// through a local host: a whole payload reaches the script; a short one
// (a connection that broke) or a corrupt one never does, and no file is
// left in either case.
func TestReceivePayload(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := []byte(strings.Repeat("xedgesim ", 10000))
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		send []byte
		sum  string
		want string // stdout, or the error's stderr
	}{
		{"whole", data, good, "90000 ok\n"},
		{"broken", data[:50000], good, "received 50000 of 90000 bytes"},
		{"corrupt", append([]byte("X"), data[1:]...), good, "checksum mismatch"},
	}
	var c localConn
	for _, tc := range tests {
		var progress int64
		p := transport.Payload{R: strings.NewReader(string(tc.send)), Size: int64(len(data)), SHA256: tc.sum, Progress: func(n int64) { progress = n }}
		out, n, err := c.RunWithPayload(context.Background(), "xt-receive", p, `echo "$(wc -c <"$f") ok"`)
		var ce *transport.CommandError
		switch {
		case tc.want == out && err == nil:
		case errors.As(err, &ce) && strings.Contains(ce.Stderr, tc.want):
		default:
			t.Errorf("%s: got %q, %v; want %q", tc.name, out, err, tc.want)
		}
		if n != int64(len(tc.send)) || progress != n {
			t.Errorf("%s: sent %d bytes (progress %d), want %d", tc.name, n, progress, len(tc.send))
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "*"))
		if len(left) > 0 {
			t.Errorf("%s: files left: %v", tc.name, left)
		}
	}
}
