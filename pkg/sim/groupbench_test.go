package sim

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// BenchmarkGroup reports the kernel's events per second for one device
// group of n 1 Hz sensors, with as many virtual seconds as give 1 M samples.
func BenchmarkGroup(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := fmt.Sprintf(`simulation: {duration_s: %d, seed: 1, time_quantum_us: 1000}
nodes:
  - {id: "sensor{i}", count: %d, type: sensor, config: {dst: gateway, sample_rate_hz: 1, start_jitter_s: 1}}
  - {id: gateway, type: gateway, port: 19999}
network: {model: direct}
`, 1_000_000/n, n)
			sc, _, err := scenario.Parse([]byte(src), "group.yaml")
			if err != nil {
				b.Fatal(err)
			}
			var events int64
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				res, err := Run(context.Background(), sc)
				if err != nil {
					b.Fatal(err)
				}
				events += res.Events
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			// CPU time, which the machine's other tenants change less than
			// wall time (the process's, so with the collector's share).
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(events), "cpu-ns/event")
		})
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
