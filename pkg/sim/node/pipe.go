package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// pipeConn is a process's stdin and stdout as a net.Conn, so the protocol
// code (deadlines included: pipes are pollable) serves both transports.
type pipeConn struct {
	r *os.File // the process's stdout
	w *os.File // the process's stdin
}

// newPipeConn returns our side and the process's two ends (its stdin and
// stdout), which the caller closes once the process has started.
func newPipeConn() (conn *pipeConn, childIn, childOut *os.File, err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("creating stdin pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		_ = inR.Close()
		_ = inW.Close()
		return nil, nil, nil, fmt.Errorf("creating stdout pipe: %w", err)
	}
	return &pipeConn{r: outR, w: inW}, inR, outW, nil
}

func (c *pipeConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *pipeConn) Write(b []byte) (int, error) { return c.w.Write(b) }

// Close closes stdin first: the process sees end of input.
func (c *pipeConn) Close() error { return errors.Join(c.w.Close(), c.r.Close()) }

func (c *pipeConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr { return pipeAddr{} }

func (c *pipeConn) SetDeadline(t time.Time) error {
	return errors.Join(c.r.SetReadDeadline(t), c.w.SetWriteDeadline(t))
}
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.r.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.w.SetWriteDeadline(t) }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "stdio" }
