package pyfmt

import (
	"fmt"
	"io"
	"strings"
)

// AppendCSVRow appends one row as Python's csv.writer writes it with the
// default dialect ("excel") and returns the extended buffer: fields joined
// by ',', a field quoted with '"' only when it contains ',', '"', '\r' or
// '\n' (QUOTE_MINIMAL), quotes inside a quoted field doubled, and the row
// ended by "\r\n".
//
// Two details follow CPython rather than encoding/csv: a field with a
// leading space is not quoted, and a row made of a single empty field is
// written as `""` so that it reads back as a row rather than as a blank
// line (a row with no fields at all is a bare "\r\n").
func AppendCSVRow(dst []byte, fields ...string) []byte {
	if len(fields) == 1 && fields[0] == "" {
		return append(dst, `""`+"\r\n"...)
	}
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if !strings.ContainsAny(f, ",\"\r\n") {
			dst = append(dst, f...)
			continue
		}
		dst = append(dst, '"')
		for {
			j := strings.IndexByte(f, '"')
			if j < 0 {
				break
			}
			dst = append(dst, f[:j+1]...)
			dst = append(dst, '"')
			f = f[j+1:]
		}
		dst = append(dst, f...)
		dst = append(dst, '"')
	}
	return append(dst, '\r', '\n')
}

// CSVWriter writes rows as Python's csv.writer does with the default
// dialect; see AppendCSVRow for the rules. It writes each row with one
// Write call to the underlying writer and reuses its buffer, so a
// bufio.Writer underneath is still worthwhile for many small rows.
type CSVWriter struct {
	w   io.Writer
	buf []byte
}

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: w}
}

// WriteRow writes one row.
func (c *CSVWriter) WriteRow(fields ...string) error {
	c.buf = AppendCSVRow(c.buf[:0], fields...)
	if _, err := c.w.Write(c.buf); err != nil {
		return fmt.Errorf("writing CSV row: %w", err)
	}
	return nil
}
