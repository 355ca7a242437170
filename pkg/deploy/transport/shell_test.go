package transport

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadUntil(t *testing.T) {
	t.Parallel()
	const m = "xedgesim-end-0123 "
	for _, tc := range []struct {
		name, in, before, after, rest string
		eof                           bool
	}{
		{name: "lines", in: "a\nb\n" + m + "0\nnext", before: "a\nb\n", after: "0", rest: "next"},
		{name: "no final newline", in: "no newline" + m + "7\n", before: "no newline", after: "7"},
		{name: "nothing", in: m + "0\n", before: "", after: "0"},
		{name: "marker text without its line end", in: "x" + m + "1", before: "x" + m + "1", eof: true},
		{name: "shell gone", in: "partial\n", before: "partial\n", eof: true},
	} {
		r := bufio.NewReader(strings.NewReader(tc.in))
		before, after, err := readUntil(r, m)
		if tc.eof != errors.Is(err, io.ErrUnexpectedEOF) || (!tc.eof && err != nil) {
			t.Errorf("%s: err = %v, want unexpected EOF %v", tc.name, err, tc.eof)
		}
		rest, _ := io.ReadAll(r)
		if diff := cmp.Diff([]string{tc.before, tc.after, tc.rest}, []string{before, after, string(rest)}); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, diff)
		}
	}
}
