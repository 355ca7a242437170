package sim

import (
	"net"
	"testing"
)

// TestListeningOnce checks the probe against real sockets: a port with a
// listener is taken, on either loopback address; the same port is free
// again once the listener is closed.
func TestListeningOnce(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if addr == "[::1]:0" {
				t.Logf("no IPv6 loopback here: %v", err)
				continue
			}
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !listeningOnce(port) {
			t.Errorf("%s: port %d has a listener, the probe says free", addr, port)
		}
		l.Close()
		if listeningOnce(port) {
			t.Errorf("%s: port %d is free again, the probe says taken", addr, port)
		}
	}
}
