package pyfmt

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenFloat is one line of testdata/floats.txt, written by
// testdata/gen_golden.py from CPython.
type goldenFloat struct {
	f       float64
	repr    string
	format2 string
}

func readGoldenFloats(t *testing.T) []goldenFloat {
	t.Helper()
	file, err := os.Open(filepath.Join("testdata", "floats.txt"))
	if err != nil {
		t.Fatalf("opening golden floats: %v", err)
	}
	defer file.Close()
	var out []goldenFloat
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20) // .2f of 1e308 is a long line
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("floats.txt:%d: want 3 fields, got %d", line, len(fields))
		}
		bits, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil {
			t.Fatalf("floats.txt:%d: parsing bits: %v", line, err)
		}
		out = append(out, goldenFloat{math.Float64frombits(bits), fields[1], fields[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading golden floats: %v", err)
	}
	if len(out) < 1000 {
		t.Fatalf("floats.txt holds only %d values", len(out))
	}
	return out
}

func TestMatchesCPythonGolden(t *testing.T) {
	t.Parallel()
	golden := readGoldenFloats(t)
	tests := []struct {
		name string
		want func(g goldenFloat) string
		got  func(f float64) string
	}{
		{"Repr", func(g goldenFloat) string { return g.repr }, Repr},
		{"Format2", func(g goldenFloat) string { return g.format2 }, Format2},
		{"AppendRepr", func(g goldenFloat) string { return "x" + g.repr }, func(f float64) string {
			return string(AppendRepr([]byte("x"), f))
		}},
		{"AppendFormat2", func(g goldenFloat) string { return "x" + g.format2 }, func(f float64) string {
			return string(AppendFormat2([]byte("x"), f))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want, got []string
			for _, g := range golden {
				w, o := tt.want(g), tt.got(g.f)
				if w != o {
					want = append(want, fmt.Sprintf("%016x %s", math.Float64bits(g.f), w))
					got = append(got, fmt.Sprintf("%016x %s", math.Float64bits(g.f), o))
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s differs from CPython on %d of %d values (-want +got):\n%s", tt.name, len(want), len(golden), diff)
			}
		})
	}
}

func TestRepr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-1, "-1.0"},
		{0.1, "0.1"},
		{0.30000000000000004, "0.30000000000000004"}, // 0.1+0.2 at run time; Go constants are exact
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{9999999999999998, "9999999999999998.0"},
		{1e15, "1000000000000000.0"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1e-5, "1e-05"},
		{1.5e-5, "1.5e-05"},
		{1e-4, "0.0001"},
		{0.00012345, "0.00012345"},
		{1e100, "1e+100"},
		{1e-100, "1e-100"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{20.54, "20.54"},
		{123.0, "123.0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "nan"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := Repr(tt.f); got != tt.want {
				t.Errorf("Repr(%v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestFormat2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.00"},
		{math.Copysign(0, -1), "-0.00"},
		{-0.001, "-0.00"},
		{2.675, "2.67"}, // 2.67499999999999982236431605997495353221893310546875
		{1.005, "1.00"},
		{0.125, "0.12"}, // exact tie: half to even
		{0.375, "0.38"},
		{0.005, "0.01"}, // 0.005000000000000000104...
		{20.545, "20.55"},
		{1e22, "10000000000000000000000.00"},
		{1e23, "99999999999999991611392.00"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := Format2(tt.f); got != tt.want {
				t.Errorf("Format2(%v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	tests := []struct {
		name string
		f    func()
	}{
		{"AppendRepr", func() { buf = AppendRepr(buf[:0], 0.30000000000000004) }},
		{"AppendReprExp", func() { buf = AppendRepr(buf[:0], -1.2345678901234567e-300) }},
		{"AppendFormat2", func() { buf = AppendFormat2(buf[:0], 20.545) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tt.f); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
			}
		})
	}
}

// FuzzRepr checks properties CPython's repr guarantees: it reads back to
// the same float, and it uses no more digits than strconv's shortest form.
func FuzzRepr(f *testing.F) {
	for _, x := range []float64{0, 1, 0.1, 1e16, 1e-5, 123456789012345678, 5e-324} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		s := Repr(x)
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(back) != bits {
			t.Fatalf("Repr(%x) = %q reads back as %x (%v)", bits, s, math.Float64bits(back), err)
		}
		if !strings.ContainsAny(s, ".e") {
			t.Fatalf("Repr(%x) = %q has neither a point nor an exponent", bits, s)
		}
	})
}

func BenchmarkRepr(b *testing.B) {
	for _, x := range []float64{20.54, 21.123456789012345, 1e-7} {
		b.Run(Repr(x), func(b *testing.B) {
			buf := make([]byte, 0, 32)
			for b.Loop() {
				buf = AppendRepr(buf[:0], x)
			}
		})
	}
	b.Run("string", func(b *testing.B) {
		for b.Loop() {
			_ = Repr(21.123456789012345)
		}
	})
}

func BenchmarkFormat2(b *testing.B) {
	buf := make([]byte, 0, 32)
	for b.Loop() {
		buf = AppendFormat2(buf[:0], 21.123456789012345)
	}
}
