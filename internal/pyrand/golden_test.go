package pyrand

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// streamCase is one seed's entry in testdata/streams_*.json, written by
// testdata/gen_golden.py from CPython. Floats are hex IEEE bit patterns.
type streamCase struct {
	Name    string   `json:"name"`
	ID      string   `json:"id"`
	RunSeed *int64   `json:"run_seed"`
	Seed    string   `json:"seed"`
	Uint32  []uint32 `json:"uint32"`
	Random  []string `json:"random"`
	Gauss   []string `json:"gauss"`
	Mixed   []string `json:"mixed"`
}

func (c streamCase) seed(t *testing.T) uint64 {
	t.Helper()
	s, err := strconv.ParseUint(c.Seed, 10, 64)
	if err != nil {
		t.Fatalf("parsing seed of %s: %v", c.Name, err)
	}
	return s
}

var (
	streamsOnce sync.Map // file name -> func() ([]streamCase, error)
)

// loadStreams reads and caches one golden streams file; parallel tests
// share the parse.
func loadStreams(t *testing.T, name string) []streamCase {
	t.Helper()
	f, _ := streamsOnce.LoadOrStore(name, sync.OnceValues(func() ([]streamCase, error) {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			return nil, fmt.Errorf("reading golden streams: %w", err)
		}
		var doc struct {
			Cases []streamCase `json:"cases"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", name, err)
		}
		return doc.Cases, nil
	}))
	cases, err := f.(func() ([]streamCase, error))()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", name)
	}
	return cases
}

// hexBits formats f as the golden files do.
func hexBits(f float64) string {
	return fmt.Sprintf("%016x", math.Float64bits(f))
}

// mixedStream replays gen_golden.py's mixed(): random() and gauss() with
// two parameter sets, interleaved.
func mixedStream(r *Rand) []string {
	out := make([]string, 0, 300)
	for i := range 300 {
		switch {
		case i%5 == 1:
			out = append(out, hexBits(r.Random()))
		case i%7 == 3:
			out = append(out, hexBits(r.Gauss(-3.5, 0.25)))
		default:
			out = append(out, hexBits(r.Gauss(20.0, 2.0)))
		}
	}
	return out
}
