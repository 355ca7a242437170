package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The streams of a multiplexed answer: each frame is an 8-byte header,
// the stream (1 byte), three zero bytes and the payload's length (4 bytes,
// big-endian), then the payload.
const (
	streamStdin  = 0
	streamStdout = 1
	streamStderr = 2
	streamSystem = 3 // an error of the engine's, ending the stream
)

// Demux copies the frames of a multiplexed stream (logs or attached
// streams of a container without a TTY) from src to stdout and stderr,
// until src ends, and returns the payload bytes written. An error frame of
// the engine's ends it with that error.
func Demux(stdout, stderr io.Writer, src io.Reader) (int64, error) {
	var (
		hdr     [8]byte
		buf     = make([]byte, 32<<10)
		written int64
	)
	for {
		if _, err := io.ReadFull(src, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return written, nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return written, fmt.Errorf("multiplexed stream: truncated frame header: %w", err)
			}
			return written, err
		}
		var dst io.Writer
		switch hdr[0] {
		case streamStdin, streamStdout:
			dst = stdout
		case streamStderr:
			dst = stderr
		case streamSystem:
		default:
			return written, fmt.Errorf("multiplexed stream: unknown stream %d", hdr[0])
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if hdr[0] == streamSystem {
			msg := make([]byte, min(size, 64<<10))
			n, _ := io.ReadFull(src, msg)
			return written, fmt.Errorf("error from the engine: %s", msg[:n])
		}
		for size > 0 {
			n, err := io.ReadFull(src, buf[:min(size, len(buf))])
			if n > 0 {
				m, werr := dst.Write(buf[:n])
				written += int64(m)
				if werr != nil {
					return written, werr
				}
				if m != n {
					return written, io.ErrShortWrite
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return written, fmt.Errorf("multiplexed stream: truncated frame: %w", err)
			}
			size -= n
		}
	}
}
