package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseLarge parses a 10,000-sensor scenario, the size the
// simulator's performance target names.
func BenchmarkParseLarge(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("simulation: {duration_s: 3600, seed: 42}\nnodes:\n  - {id: gateway, type: gateway, port: 4999}\n")
	for i := range 10_000 {
		fmt.Fprintf(&sb, "  - id: sensor%d\n    type: sensor\n    port: %d\n    config: {sample_rate_hz: 1, noise_level: 0.1}\n", i, 5000+i)
	}
	sb.WriteString("network:\n  model: latency\n  links:\n")
	for i := range 10_000 {
		fmt.Fprintf(&sb, "    - {src: sensor%d, dst: gateway, latency_us: %d}\n", i, 1000+i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Parse(data, "large.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
