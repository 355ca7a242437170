package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The tests in this file use the real test bed (scripts/testbed up): they
// skip without it, and fail without it under XEDGESIM_TESTBED=1.

func target(e testbed.Edge) Target {
	return Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}
}

func fingerprintOf(t *testing.T, line string) string {
	t.Helper()
	_, _, key, _, _, err := ssh.ParseKnownHosts([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(key)
}

// TestBedDialEveryKeyType logs in to each edge (ed25519, ecdsa, rsa host
// keys) by known_hosts line and by fingerprint, runs a command, and checks
// a failing one reports its status and stderr.
func TestBedDialEveryKeyType(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	for _, edge := range env.Edges {
		for _, how := range []string{"known_hosts", "fingerprint"} {
			t.Run(edge.Name+"/"+how, func(t *testing.T) {
				t.Parallel()
				tg := target(edge)
				if how == "fingerprint" {
					tg.Fingerprints = []string{fingerprintOf(t, edge.KnownHosts)}
					tg.KnownHosts = ""
				}
				ctx := context.Background()
				c, err := Dial(ctx, tg, WithKeyFile(edge.KeyFile, ""), WithTimeout(10*time.Second))
				if err != nil {
					t.Fatalf("Dial() = %v", err)
				}
				defer c.Close()
				got, err := c.Run(ctx, "echo $XEDGESIM_EDGE", nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(edge.Name+"\n", got); diff != "" {
					t.Errorf("Run() (-want +got):\n%s", diff)
				}
				_, err = c.Run(ctx, "echo oops >&2; exit 7", nil)
				var ce *CommandError
				if !errors.As(err, &ce) {
					t.Fatalf("Run(exit 7) = %v, want a *CommandError", err)
				}
				if diff := cmp.Diff(&CommandError{Host: edge.Name, Cmd: "echo oops >&2; exit 7", Status: 7, Stderr: "oops\n"}, ce); diff != "" {
					t.Errorf("CommandError (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestBedChangedHostKey dials an edge that presents another key than the
// one it is known with: the error is a *HostKeyError with exit code 3 and
// the fingerprint the edge presented.
func TestBedChangedHostKey(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge := env.Edges[0]
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewSignerFromKey(priv)
	line := edge.Addr + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey())))
	tests := []struct {
		name    string
		tg      Target
		changed bool
	}{
		{"known_hosts of another key", Target{KnownHosts: line}, true},
		{"another fingerprint", Target{Fingerprints: []string{ssh.FingerprintSHA256(other.PublicKey())}}, true},
		{"known_hosts of another host", Target{KnownHosts: "10.99.99.99 " + strings.SplitN(edge.KnownHosts, " ", 2)[1]}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := target(edge)
			tg.KnownHosts, tg.Fingerprints = tc.tg.KnownHosts, tc.tg.Fingerprints
			c, err := Dial(context.Background(), tg, WithKeyFile(edge.KeyFile, ""))
			if err == nil {
				c.Close()
				t.Fatal("Dial() succeeded, want a host key error")
			}
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("Dial() = %v, want a *HostKeyError", err)
			}
			want := &HostKeyError{Host: edge.Name, Addr: tg.Addr(), KeyType: hk.KeyType, Fingerprint: fingerprintOf(t, edge.KnownHosts), Changed: tc.changed}
			if diff := cmp.Diff(want, hk); diff != "" {
				t.Errorf("HostKeyError (-want +got):\n%s", diff)
			}
			if hk.ExitCode() != 3 {
				t.Errorf("ExitCode() = %d, want 3", hk.ExitCode())
			}
		})
	}
}

// TestBedUpload copies a file atomically and checks its bytes and mode.
func TestBedUpload(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge := env.Edges[1]
	ctx := context.Background()
	c, err := Dial(ctx, target(edge), WithKeyFile(edge.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() }) // after the removal below: cleanups run last first
	dir, err := c.Run(ctx, "mktemp -d /tmp/xedgesim-upload-XXXXXX", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir = strings.TrimSpace(dir)
	t.Cleanup(func() { c.Run(context.Background(), "rm -rf "+Quote(dir), nil) })
	body := strings.Repeat("hello edge\n", 10000)
	var last int64
	if err := c.Upload(ctx, strings.NewReader(body), int64(len(body)), dir+"/a file.conf", "0640", func(n int64) { last = n }); err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	if last != int64(len(body)) {
		t.Errorf("progress ended at %d, want %d", last, len(body))
	}
	got, err := c.Run(ctx, "stat -c %a "+Quote(dir+"/a file.conf")+"; cat "+Quote(dir+"/a file.conf")+"; ls "+Quote(dir)+" | wc -l", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The mode, the bytes, and no temporary file left beside it.
	if diff := cmp.Diff("640\n"+body+"1\n", got); diff != "" {
		t.Errorf("after upload (-want +got):\n%s", diff)
	}
}
