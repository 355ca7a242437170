package pyrand_test

import (
	"fmt"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/internal/pyrand"
)

// Upstream seeds each node with random.Random(seed_int), seed_int derived
// from f"{node_id}_{seed}"; the values printed here are CPython's.
func Example() {
	seed := pyrand.DerivedSeed("sensor1", 42)
	r := pyrand.New(seed)
	fmt.Println(seed)
	fmt.Println(pyfmt.Repr(r.Gauss(20.0, 2.0)))
	fmt.Println(pyfmt.Repr(r.Gauss(20.0, 2.0))) // the cached second variate
	fmt.Println(pyfmt.Repr(r.Random()))
	fmt.Println(pyfmt.Format2(r.Gauss(20.0, 2.0)))
	// Output:
	// 12224054490459784054
	// 21.388588739669157
	// 22.60046998740314
	// 0.48232233858605755
	// 22.30
}
