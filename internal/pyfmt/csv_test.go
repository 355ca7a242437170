package pyfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendCSVRowMatchesCPython(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "csv.json"))
	if err != nil {
		t.Fatalf("reading golden CSV rows: %v", err)
	}
	var doc struct {
		Rows []struct {
			Fields []string `json:"fields"`
			Out    string   `json:"out"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decoding csv.json: %v", err)
	}
	if len(doc.Rows) < 100 {
		t.Fatalf("csv.json holds only %d rows", len(doc.Rows))
	}
	var want, got []string
	for _, row := range doc.Rows {
		want = append(want, row.Out)
		got = append(got, string(AppendCSVRow(nil, row.Fields...)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows differ from csv.writer (-want +got):\n%s", diff)
	}
}

func TestAppendCSVRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []string
		want   string
	}{
		{"plain", []string{"time", "node", "temperature"}, "time,node,temperature\r\n"},
		{"leading space is not quoted", []string{" a", "b "}, " a,b \r\n"},
		{"delimiter", []string{"a,b"}, "\"a,b\"\r\n"},
		{"quote doubled", []string{`say "hi"`}, `"say ""hi"""` + "\r\n"},
		{"newline", []string{"a\nb"}, "\"a\nb\"\r\n"},
		{"carriage return", []string{"a\rb"}, "\"a\rb\"\r\n"},
		{"tab is not special", []string{"a\tb"}, "a\tb\r\n"},
		{"single empty field", []string{""}, "\"\"\r\n"},
		{"two empty fields", []string{"", ""}, ",\r\n"},
		{"no fields", nil, "\r\n"},
		{"appends", []string{"x"}, "x\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := []byte("keep|")
			got := string(AppendCSVRow(prefix, tt.fields...))
			if diff := cmp.Diff("keep|"+tt.want, got); diff != "" {
				t.Errorf("AppendCSVRow(%q) mismatch (-want +got):\n%s", tt.fields, diff)
			}
		})
	}
}

func TestCSVWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	rows := [][]string{
		{"time", "node", "temperature"},
		{Repr(0), "sensor1", Repr(20.54)},
		{Repr(1e-5), "a,b", Format2(2.675)},
	}
	for _, row := range rows {
		if err := w.WriteRow(row...); err != nil {
			t.Fatalf("WriteRow(%q): %v", row, err)
		}
	}
	want := "time,node,temperature\r\n0.0,sensor1,20.54\r\n1e-05,\"a,b\",2.67\r\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestCSVWriterWrapsErrors(t *testing.T) {
	t.Parallel()
	err := NewCSVWriter(failingWriter{}).WriteRow("a")
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("WriteRow error = %v, want it to wrap %v", err, errDiskFull)
	}
	if !strings.Contains(err.Error(), "writing CSV row") {
		t.Errorf("WriteRow error = %q, want it to say what failed", err)
	}
}

func BenchmarkAppendCSVRow(b *testing.B) {
	buf := make([]byte, 0, 128)
	for b.Loop() {
		buf = AppendCSVRow(buf[:0], "12.5", "sensor1", "20.54", "a,b")
	}
}
