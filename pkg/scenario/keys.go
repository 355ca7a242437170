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
		"report", "validation", "faults", "observe",
	},
	secSimulation: {"duration_s", "seed", "time_quantum_us", "compat"},
	secNode: {
		"id", "type", "implementation", "port", "docker", "config",
		// renode_inprocess only.
		"platform", "firmware", "monitor_port", "working_dir", "seed",
		// Ours: a device group (devices.go).
		"count",
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
	secAssertion: {"metric", "operator", "value", "description", "where", "min", "max", "field"},
	secScope:     {"src", "dst", "node", "observe"},
	secFault: {"at_s", "kind", "duration_s", "link", "latency_us", "loss_rate", "groups", "node",
		"restart_after_s", "description"},
	secFaultLink: {"src", "dst"},

	// Observers (observe.go).
	secObserve:     {"name", "mqtt", "http", "correlate", "description"},
	secObserveMQTT: {"node", "topic", "qos"},
	secObserveHTTP: {"node", "port", "path", "interval_s"},
	secCorrelate:   {"field", "device"},
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
