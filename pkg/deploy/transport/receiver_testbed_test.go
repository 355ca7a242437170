package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedReceiver: a receiver started before its payload takes it whole
// and runs the script on it; a payload whose checksum is wrong fails with
// the script not run; a receiver closed unused, or fed less than it was
// told, leaves no file on the host.
func TestBedReceiver(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge := env.Edges[0]
	ctx := context.Background()
	c, err := Dial(ctx, target(edge), WithKeyFile(edge.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tag := "xt-rcv-" + randHex(4)
	leftovers := func() string {
		t.Helper()
		out, err := c.Run(ctx, `ls "${TMPDIR:-/var/tmp}" | grep -F `+Quote(tag)+`; true`, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	body := strings.Repeat("payload line\n", 50000)
	sum := sha256.Sum256([]byte(body))
	good := hex.EncodeToString(sum[:])

	r, err := c.StartReceive(tag, `echo "$(wc -c <"$f") $(head -c 7 "$f")"`)
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := r.Send(ctx, Payload{R: strings.NewReader(body), Size: int64(len(body)), SHA256: good})
	if err != nil || n != int64(len(body)) || out != "650000 payload\n" {
		t.Errorf("Send() = %q, %d, %v; want \"650000 payload\", %d bytes", out, n, err, len(body))
	}

	r, err = c.StartReceive(tag, `echo ran`)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Repeat("0", 64)
	out, _, err = r.Send(ctx, Payload{R: strings.NewReader(body), Size: int64(len(body)), SHA256: bad})
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(ce.Stderr, "checksum mismatch") || out != "" {
		t.Errorf("Send(wrong sum) = %q, %v; want a checksum mismatch and the script not run", out, err)
	}

	r, err = c.StartReceive(tag, `echo ran`)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.Send(ctx, Payload{R: strings.NewReader(body[:1000]), Size: int64(len(body)), SHA256: good})
	if !errors.As(err, &ce) || !strings.Contains(ce.Stderr, "received 1000 of") {
		t.Errorf("Send(short) = %v, want received 1000 of %d bytes", err, len(body))
	}

	r, err = c.StartReceive(tag, `echo ran`)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if got := leftovers(); got != "" {
		t.Errorf("files left on the host: %q", got)
	}
}
