package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

// The default limits of a scenario. They bound what one file can make the
// loader and the run allocate, so a mistake (or a hostile file in a pull
// request) fails at load with exit 3 instead of exhausting the runner.
// A million devices fit when written as device groups; the file-size limit
// refuses the same million written out node by node before the YAML parser
// spends gigabytes on them.
const (
	// DefaultMaxFileSize is the largest scenario file read: 16 MiB.
	DefaultMaxFileSize int64 = 16 << 20
	// DefaultMaxNodes is the most nodes a scenario may have, counted after
	// device groups are expanded: a million-device fleet with its gateways
	// fits twice over.
	DefaultMaxNodes = 2_000_000
	// DefaultMaxDurationS is the longest virtual duration: 366 days.
	DefaultMaxDurationS = 366 * 24 * 3600
	// MaxTimeS is the longest time a scenario may name, in seconds (about
	// 126,000 years), whatever the limits: a run's duration (WithMaxDuration
	// and --max-duration-s go no higher), a fault's times, a time in a
	// node's config. In microseconds it is 4e18, so the sum of any two such
	// times fits in an int64 (9.2e18): a time in the run plus a sensor's
	// interval, a fault's start plus its duration. With runs up to 9e12 s a
	// sensor's next sample wrapped into the past and the run never ended.
	MaxTimeS = 4e12
)

// MaxTimeText is MaxTimeS as messages write it, "4e12".
func MaxTimeText() string {
	return strings.Replace(strconv.FormatFloat(MaxTimeS, 'g', -1, 64), "e+", "e", 1)
}

// limits are the bounds Load and Parse enforce.
type limits struct {
	fileSize  int64
	nodes     int
	durationS float64
}

func defaultLimits() limits {
	return limits{fileSize: DefaultMaxFileSize, nodes: DefaultMaxNodes, durationS: DefaultMaxDurationS}
}

// WithMaxFileSize sets the largest scenario file, in bytes; n <= 0 keeps
// the default.
func WithMaxFileSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.limits.fileSize = n
		}
	}
}

// WithMaxNodes sets the most nodes a scenario may have after device groups
// are expanded; n <= 0 keeps the default.
func WithMaxNodes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.limits.nodes = n
		}
	}
}

// WithMaxDuration sets the longest simulation.duration_s, in seconds, at
// most MaxTimeS; s <= 0 (or NaN) keeps the default.
func WithMaxDuration(s float64) Option {
	return func(o *options) {
		if s > 0 {
			o.limits.durationS = min(s, MaxTimeS)
		}
	}
}

// readScenario reads path through the file-size limit: a device, a FIFO or
// an oversized file is refused before anything is parsed.
func readScenario(path string, l limits) ([]byte, error) {
	data, err := readlimit.ReadFile(path, l.fileSize)
	if err == nil {
		return data, nil
	}
	var tl *readlimit.TooLargeError
	msg, hint := "", ""
	switch {
	case errors.As(err, &tl):
		msg = fmt.Sprintf("the scenario file is larger than the limit of %s", readlimit.Size(l.fileSize))
		hint = "write large fleets as device groups, or raise the limit with --max-file-mib"
	case errors.Is(err, readlimit.ErrNotRegular):
		msg = fmt.Sprintf("reading scenario: %v", err)
		hint = "name a regular file"
	default:
		return nil, err
	}
	return nil, NewError([]Diagnostic{{Pos: Pos{File: path, Line: 1, Col: 1}, Severity: SeverityError, Message: msg, Hint: hint}},
		fmt.Errorf("reading scenario: %w", err))
}

// checkSize refuses data over the file-size limit, for Parse's callers
// that read the file themselves.
func (d *decoder) checkSize(data []byte, l limits) bool {
	if int64(len(data)) <= l.fileSize {
		return true
	}
	d.Add(Diagnostic{Pos: Pos{File: d.File(), Line: 1, Col: 1}, Severity: SeverityError,
		Message: fmt.Sprintf("the scenario file is larger than the limit of %s", readlimit.Size(l.fileSize)),
		Hint:    "write large fleets as device groups, or raise the limit with --max-file-mib"})
	return false
}

// checkLimits refuses a scenario whose node count or duration is over the
// limits, at the line that sets it. It runs on the decoded scenario, so
// nodes are counted after any expansion.
func (d *decoder) checkLimits(root *yaml.Node, s *Scenario, l limits) {
	if count := s.NodeCount(); count > l.nodes {
		n := valueOf(root, "nodes")
		if n == nil {
			n = root
		}
		d.tooManyNodes(n, "", count, l.nodes)
	}
	if s.Simulation.DurationS > l.durationS {
		n := valueOf(valueOf(root, "simulation"), "duration_s")
		if n == nil {
			n = root
		}
		hint := "shorten the run, or raise the limit with --max-duration-s"
		if l.durationS >= MaxTimeS {
			hint = "shorten the run; no limit goes past " + MaxTimeText() + " s"
		}
		d.Errorf(n, "simulation.duration_s", hint,
			"simulation.duration_s is %s s; the limit is %s s (%s days)", yamldiag.Written(n),
			strconv.FormatFloat(l.durationS, 'f', -1, 64), strconv.FormatFloat(math.Round(l.durationS/86400*10)/10, 'f', -1, 64))
	}
}

// MaxLatencyUS is the longest latency or jitter a scenario may give a
// link, in microseconds: 366 days, the longest run by default. A message
// that late is never delivered in a run, and a latency near the int64
// limit wrapped its arrival into the past: a 5 s run "delivered" messages
// of a 292,000-year link at once.
const MaxLatencyUS = DefaultMaxDurationS * 1_000_000

// latencyFits reports, at n, a latency or jitter v of path past
// MaxLatencyUS.
func (d *decoder) latencyFits(n *yaml.Node, path string, v int64) bool {
	if v <= MaxLatencyUS {
		return true
	}
	d.Errorf(n, path, "write "+lastKey(path)+": 5000", "%s must be at most %d (366 days), got %s", path, int64(MaxLatencyUS), yamldiag.Written(n))
	return false
}

// tooManyNodes reports at n that the scenario has (atLeast) count nodes,
// over limit.
func (d *decoder) tooManyNodes(n *yaml.Node, atLeast string, count, limit int) {
	d.Errorf(n, "nodes", fmt.Sprintf("split the fleet into several scenarios, or raise the limit with --max-nodes %d", count),
		"the scenario has %s%d nodes; the limit is %d", atLeast, count, limit)
}

// valueOf is the value of key in mapping n (the last one, as the loader
// reads duplicates), aliases followed; nil when there is none.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	n = yamldiag.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v = n.Content[i+1]
		}
	}
	return yamldiag.Deref(v)
}
