package netmodel

import (
	"math"
	"math/bits"
)

// Horizon is a virtual time past the end of any run (the loader bounds a
// run at scenario.MaxTimeS): a message due then is never delivered. Times
// the model computes saturate there instead of wrapping, and a latency
// added to Horizon still fits in an int64.
const Horizon int64 = math.MaxInt64 / 2

// serialization is how long a link of bw bit/s (bw > 0) takes to send size
// bytes, in whole microseconds rounded up, at most Horizon. size*8e6 in 64
// bits wrapped past about 1.15 TB, and adding bw-1 wrapped for a bandwidth
// near the int64 limit: the delay came out negative and the message
// arrived before it was sent. A size below zero (a node's own count) is
// sent in no time.
func serialization(size int, bw int64) int64 {
	if size <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(size), 8_000_000) // #nosec G115 -- size > 0
	d := uint64(bw)                               // #nosec G115 -- bw > 0
	if hi >= d {
		return Horizon // the quotient needs more than 64 bits
	}
	q, r := bits.Div64(hi, lo, d)
	if r != 0 {
		q++
	}
	if q >= uint64(Horizon) {
		return Horizon
	}
	return int64(q) // #nosec G115 -- q < Horizon
}

// later is t + d for t, d in [0, Horizon], at most Horizon.
func later(t, d int64) int64 {
	return min(t+d, Horizon)
}
