package netmodel

// Buckets is how many slices of virtual time the timeline has.
const Buckets = 60

// Bucket is what the network did in one slice of virtual time: messages
// delivered (by arrival time) and dropped (by send time), and the latency
// of the delivered ones.
type Bucket struct {
	Delivered  int64
	Dropped    int64
	LatencySum Sum128
	LatencyMax int64
}

type timeline struct {
	width   int64
	buckets []Bucket
}

func newTimeline(end int64) timeline {
	w := max((end+Buckets-1)/Buckets, 1)
	return timeline{width: w, buckets: make([]Bucket, Buckets)}
}

func (tl *timeline) at(t int64) *Bucket {
	i := t / tl.width
	i = min(max(i, 0), int64(len(tl.buckets)-1))
	return &tl.buckets[i]
}

func (tl *timeline) delivered(t, latency int64) {
	b := tl.at(t)
	b.Delivered++
	b.LatencySum.add(latency)
	b.LatencyMax = max(b.LatencyMax, latency)
}

func (tl *timeline) dropped(t int64) { tl.at(t).Dropped++ }

// Timeline returns the buckets and the width of each in microseconds.
func (n *Network) Timeline() ([]Bucket, int64) {
	return append([]Bucket(nil), n.tl.buckets...), n.tl.width
}
