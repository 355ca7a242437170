package netmodel

// Add adds o's counters and latencies to r: a report folds the routes of a
// device group's members into one.
func (r *Route) Add(o *Route) {
	r.Sent += o.Sent
	r.Delivered += o.Delivered
	r.Lost += o.Lost
	r.Unroutable += o.Unroutable
	r.Faulted += o.Faulted
	r.Latency.Merge(&o.Latency)
}
