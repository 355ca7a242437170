package engine

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Hijacked is an exec's attached streams: the connection the engine took
// over from HTTP. Write the process's stdin to Conn; read its stdout and
// stderr, multiplexed, from Reader with [Demux].
type Hijacked struct {
	Conn   net.Conn
	Reader *bufio.Reader
}

// Close closes the connection.
func (h *Hijacked) Close() error { return h.Conn.Close() }

// CloseWrite ends the process's stdin and keeps reading its output, when
// the connection can (a unix socket or TCP).
func (h *Hijacked) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ExecAttach starts exec id with its streams attached (docker exec -i):
// the engine answers 101 Switching Protocols (Connection: Upgrade,
// Upgrade: tcp) and the connection carries the streams from then on. The
// context bounds the dial and the handshake; the connection then lives
// until closed, or until the process ends.
func (c *Client) ExecAttach(ctx context.Context, id string) (h *Hijacked, err error) {
	req, err := c.newRequest(ctx, request{method: http.MethodPost, path: "/exec/" + id + "/start", body: execStart{}})
	if err != nil {
		return nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, c.connErr(ctx, err)
	}
	if c.tls != nil {
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, c.connErr(ctx, err)
		}
		conn = tc
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		// A quiet process must not look like a dead connection.
		_ = tcp.SetKeepAlive(true)
		_ = tcp.SetKeepAlivePeriod(30 * time.Second)
	}
	// The context's end interrupts the handshake: closing the connection
	// fails its reads and writes.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer func() {
		if !stop() || err != nil {
			_ = conn.Close()
			if ctx.Err() != nil {
				h, err = nil, c.connErr(ctx, ctx.Err())
			}
		}
	}()
	if err := req.Write(conn); err != nil {
		return nil, c.connErr(ctx, err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, c.connErr(ctx, err)
	}
	switch {
	case resp.StatusCode >= 400:
		defer resp.Body.Close()
		return nil, readError(resp)
	case resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK:
		_ = resp.Body.Close()
		return nil, fmt.Errorf("attaching to exec %s: the engine did not upgrade the connection (status %d)", id, resp.StatusCode)
	case resp.StatusCode == http.StatusOK:
		// An engine that does not switch protocols streams the body
		// instead; it ends with the process.
		return &Hijacked{Conn: bodyConn{conn, resp.Body}, Reader: bufio.NewReader(resp.Body)}, nil
	}
	return &Hijacked{Conn: conn, Reader: br}, nil
}

// bodyConn writes to the connection and reads the response's body.
type bodyConn struct {
	net.Conn
	body io.ReadCloser
}

func (b bodyConn) Read(p []byte) (int, error) { return b.body.Read(p) }
