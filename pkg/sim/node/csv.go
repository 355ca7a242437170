package node

import (
	"bufio"
	"io"

	"github.com/xedgesim/simulate/internal/pyfmt"
)

// csvOut writes rows the way Python's csv.writer does (QUOTE_MINIMAL,
// CRLF), buffered, reusing one scratch slice.
type csvOut struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func newCSVOut(w io.Writer) *csvOut { return &csvOut{w: bufio.NewWriterSize(w, 64<<10)} }

func (c *csvOut) row(fields ...string) {
	if c.err != nil {
		return
	}
	c.buf = pyfmt.AppendCSVRow(c.buf[:0], fields...)
	_, c.err = c.w.Write(c.buf)
}

// flush is safe on a nil receiver (CSV output off).
func (c *csvOut) flush() error {
	if c == nil {
		return nil
	}
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}
