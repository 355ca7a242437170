package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInittrace(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		want     []initLine
	}{
		{
			name: "runtime lines among the program's own output",
			in: "init internal/bytealg @0.057 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
				"init runtime @1.6 ms, 6.4 ms clock, 0 bytes, 0 allocs\n" +
				"xedgesim: reading scenario\n" +
				"init github.com/santhosh-tekuri/jsonschema/v6 @157 ms, 15 ms clock, 1700320 bytes, 21276 allocs\r\n" +
				"init crypto/internal/fips140deps/cpu @14 ms, 0.070 ms clock, 0 bytes, 0 allocs",
			want: []initLine{
				{Pkg: "internal/bytealg"},
				{Pkg: "runtime", ClockMS: 6.4},
				{Pkg: "github.com/santhosh-tekuri/jsonschema/v6", ClockMS: 15, Bytes: 1700320, Allocs: 21276},
				{Pkg: "crypto/internal/fips140deps/cpu", ClockMS: 0.07},
			},
		},
		{
			name: "lines that only look like inittrace",
			in: "init done\n" +
				"  init runtime @1.6 ms, 6.4 ms clock, 0 bytes, 0 allocs\n" +
				"init runtime @1.6 ms, 6.4 ms clock, 0 bytes\n" +
				"init runtime @1.6 ms, x ms clock, 0 bytes, 0 allocs\n" +
				"init a @1 ms, 2 ms clock, 3 bytes, 4 allocs and more\n",
		},
		{name: "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(c.want, parseInittrace([]byte(c.in))); diff != "" {
				t.Errorf("parseInittrace (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTopInits(t *testing.T) {
	t.Parallel()
	run := func(total float64, pkgs map[string]float64) Sample {
		v := map[string]float64{"init_ms": total}
		for p, ms := range pkgs {
			v[initPkgPrefix+p] = ms
		}
		return Sample{Values: v}
	}
	samples := []Sample{
		run(6, map[string]float64{"a": 1, "b": 2, "c": 3}),
		run(7, map[string]float64{"a": 1, "b": 3, "c": 3}),
		run(4, map[string]float64{"b": 1, "c": 3}), // a missing counts 0
	}
	got := topInits(samples, 2)
	want := []pkgShare{
		{Pkg: "c", MS: Stats{Median: 3, Min: 3, Max: 3, N: 3}},
		{Pkg: "b", MS: Stats{Median: 2, Min: 1, Max: 3, N: 3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topInits (-want +got):\n%s", diff)
	}
	if got := topInits(samples[:1], 10); len(got) != 3 {
		t.Errorf("topInits of 3 packages, n=10: got %d", len(got))
	}
}
