package pyrand

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDerivedSeed(t *testing.T) {
	t.Parallel()
	for _, c := range loadStreams(t, "streams_fma.json") {
		if c.RunSeed == nil {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			want := c.seed(t)
			if got := DerivedSeed(c.ID, *c.RunSeed); got != want {
				t.Errorf("DerivedSeed(%q, %d) = %d, want %d", c.ID, *c.RunSeed, got, want)
			}
			if got := SeedFromString(c.Name); got != want {
				t.Errorf("SeedFromString(%q) = %d, want %d", c.Name, got, want)
			}
		})
	}
}

func TestDerivedSeedFormatsLikePython(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		seed int64
		str  string
	}{
		{"n", -5, "n_-5"},
		{"", 0, "_0"},
		{"node_with_underscores", 9223372036854775807, "node_with_underscores_9223372036854775807"},
		{"n", -9223372036854775808, "n_-9223372036854775808"},
		{"ünïcode", 1, "ünïcode_1"},
		{string(make([]byte, 300)), 3, string(make([]byte, 300)) + "_3"}, // longer than the stack buffer
	}
	for _, tt := range tests {
		t.Run(tt.str[:min(len(tt.str), 24)], func(t *testing.T) {
			t.Parallel()
			if got, want := DerivedSeed(tt.id, tt.seed), SeedFromString(tt.str); got != want {
				t.Errorf("DerivedSeed(%q, %d) = %d, want SeedFromString(%q) = %d", tt.id, tt.seed, got, tt.str, want)
			}
		})
	}
}

func TestStreamsMatchCPython(t *testing.T) {
	t.Parallel()
	for _, c := range loadStreams(t, "streams_fma.json") {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			seed := c.seed(t)

			r := New(seed)
			got32 := make([]uint32, len(c.Uint32))
			for i := range got32 {
				got32[i] = r.Uint32()
			}
			if diff := cmp.Diff(c.Uint32, got32); diff != "" {
				t.Errorf("Uint32 stream mismatch (-want +got):\n%s", diff)
			}

			r = New(seed)
			gotRandom := make([]string, len(c.Random))
			for i := range gotRandom {
				gotRandom[i] = hexBits(r.Random())
			}
			if diff := cmp.Diff(c.Random, gotRandom); diff != "" {
				t.Errorf("Random stream mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGaussMatchesCPython(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		file string
		libm Libm
	}{
		{"streams_fma.json", GlibcFMA},
		{"streams_nofma.json", GlibcNoFMA},
	} {
		for _, c := range loadStreams(t, v.file) {
			t.Run(v.libm.String()+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				seed := c.seed(t)

				r := NewWithLibm(seed, v.libm)
				got := make([]string, len(c.Gauss))
				for i := range got {
					got[i] = hexBits(r.Gauss(20.0, 2.0))
				}
				if diff := cmp.Diff(c.Gauss, got); diff != "" {
					t.Errorf("Gauss(20, 2) stream mismatch (-want +got):\n%s", diff)
				}

				if diff := cmp.Diff(c.Mixed, mixedStream(NewWithLibm(seed, v.libm))); diff != "" {
					t.Errorf("interleaved Random/Gauss stream mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestNewDefaultsToGlibcFMA(t *testing.T) {
	t.Parallel()
	if got := New(1).Libm(); got != GlibcFMA {
		t.Errorf("New(1).Libm() = %v, want %v", got, GlibcFMA)
	}
	if got := NewWithLibm(1, GlibcNoFMA).Libm(); got != GlibcNoFMA {
		t.Errorf("NewWithLibm(1, GlibcNoFMA).Libm() = %v, want %v", got, GlibcNoFMA)
	}
}

// Python's seed() forgets gauss_next; a reseeded Rand must replay the
// stream from the start rather than hand out the stale cached variate.
func TestSeedDropsCachedGauss(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		first uint64
		then  uint64
	}{
		{"same seed", 42, 42},
		{"other seed", 7, 42},
		{"large seed", 1 << 40, 1<<64 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(tt.first)
			r.Gauss(0, 1) // leaves a cached variate
			r.Seed(tt.then)
			fresh := New(tt.then)
			var got, want []float64
			for range 5 {
				got = append(got, r.Gauss(0, 1))
				want = append(want, fresh.Gauss(0, 1))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stream after Seed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	r := New(42)
	tests := []struct {
		name string
		f    func()
	}{
		{"Uint32", func() { r.Uint32() }},
		{"Random", func() { r.Random() }},
		{"Gauss", func() { r.Gauss(20, 2) }},
		{"DerivedSeed", func() { DerivedSeed("sensor1", 42) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tt.f); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
			}
		})
	}
}

func TestLibmString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		l    Libm
		want string
	}{
		{GlibcFMA, "GlibcFMA"},
		{GlibcNoFMA, "GlibcNoFMA"},
		{Libm(9), "Libm(invalid)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.l.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkUint32(b *testing.B) {
	r := New(42)
	var s uint32
	for b.Loop() {
		s += r.Uint32()
	}
	sink32 = s
}

func BenchmarkRandom(b *testing.B) {
	r := New(42)
	var s float64
	for b.Loop() {
		s += r.Random()
	}
	sink = s
}

func BenchmarkGauss(b *testing.B) {
	for _, l := range []Libm{GlibcFMA, GlibcNoFMA} {
		b.Run(l.String(), func(b *testing.B) {
			r := NewWithLibm(42, l)
			var s float64
			for b.Loop() {
				s += r.Gauss(20, 2)
			}
			sink = s
		})
	}
}

func BenchmarkDerivedSeed(b *testing.B) {
	var s uint64
	for b.Loop() {
		s += DerivedSeed("sensor1", 42)
	}
	sink64 = s
}

var (
	sink   float64
	sink32 uint32
	sink64 uint64
)
