package scenario

import "strings"

// Section names of the mappings the loader reads. They also name the $defs
// of schema.json, which a test keeps in step with knownKeys.
const (
	secTop        = "scenario"
	secSimulation = "simulation"
	secNode       = "node"
	secNetwork    = "network"
	secLink       = "link"
	secML         = "mlInference"
	secMLConfig   = "mlConfig"
	secReport     = "report"
	secValidation = "validation"
	secAssertion  = "assertion"
	secScope      = "scope"
	secFault      = "fault"
	secFaultLink  = "faultLink"
)

// knownKeys is the one list of keys the loader knows, per section. A key not
// listed is an unknown key: a warning, or an error under WithStrict. To add a
// section or a key, add it here and to schema.json (a test checks both).
var knownKeys = map[string][]string{
	secTop: {
		// Upstream's parser reads these.
		"simulation", "nodes", "network", "ml_inference",
		// Upstream ignores these; they are common in its scenarios.
		"scenario_name", "description",
		// Ours.
		"report", "validation", "faults",
	},
	secSimulation: {"duration_s", "seed", "time_quantum_us"},
	secNode: {
		"id", "type", "implementation", "port", "docker", "config",
		// renode_inprocess only.
		"platform", "firmware", "monitor_port", "working_dir", "seed",
	},
	secNetwork: {"model", "default_latency_us", "default_loss_rate", "links"},
	secLink: {
		"src", "dst", "latency_us", "loss_rate",
		// Ours.
		"jitter_us", "bandwidth_bps", "bidirectional",
	},
	secML: {"placement", "edge_config", "cloud_config"},
	// Upstream passes edge_config and cloud_config on to the ML services,
	// so keys besides model_path are free-form (see openSections).
	secMLConfig:   {"model_path"},
	secReport:     {"csv"},
	secValidation: {"assertions"},
	// min: and max: are upstream's planned spelling of gte and lte.
	secAssertion: {"metric", "operator", "value", "description", "where", "min", "max"},
	secScope:     {"src", "dst", "node"},
	secFault: {"at_s", "kind", "duration_s", "link", "latency_us", "loss_rate", "groups", "node",
		"restart_after_s", "description"},
	secFaultLink: {"src", "dst"},
}

// openSections take any key besides the ones they know.
var openSections = map[string]bool{secMLConfig: true}

// misplaced says where a key found at the top level belongs, for the hint.
var misplaced = map[string]string{
	"duration_s":      "simulation",
	"seed":            "simulation",
	"time_quantum_us": "simulation",
	"links":           "network",
	"placement":       "ml_inference",
}

// isKnown reports whether section reads key. Top-level keys starting with
// x- are extension fields, ignored as in Compose files: a place for anchors.
func isKnown(section, key string) bool {
	if section == secTop && strings.HasPrefix(key, "x-") {
		return true
	}
	for _, k := range knownKeys[section] {
		if k == key {
			return true
		}
	}
	return openSections[section]
}

// suggest returns the known key closest to key, if one is close enough to be
// a likely typo.
func suggest(key string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := distance(strings.ToLower(key), c)
		if d > 0 && d <= max(1, len(c)/4) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
		if d == 0 && key != c { // differs only in case
			return c
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b: edits
// and transpositions of adjacent bytes (prot for port) count one each.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30 // not a typo of a short key; and keeps the cost bounded
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
