package node

import (
	"bufio"
	"errors"
	"fmt"
)

// maxLineBytes bounds one line of the node protocol: a step's events are
// one line, and 64 MiB is far above any step's. A node that sends more
// without a newline (a container's program gone wrong, or hostile) would
// otherwise grow the runner's memory until it is killed.
const maxLineBytes = 64 << 20

var errLineTooLong = fmt.Errorf("the node sent a line longer than %d MiB", maxLineBytes>>20)

// boundedLine reads up to and including the next newline, as
// bufio.Reader.ReadString does, or fails with errLineTooLong past max
// bytes.
func boundedLine(r *bufio.Reader, max int) (string, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			return "", errLineTooLong
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return string(line), err
		}
	}
}
