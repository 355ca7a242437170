package scenario

// Scenario is a loaded, defaulted and validated scenario file.
type Scenario struct {
	// Path is the file the scenario was loaded from, as given.
	Path string
	// Dir is the directory relative paths in the scenario resolve against.
	Dir string
	// Name is the file name without its extension (m0_baseline).
	Name string

	Simulation Simulation
	// Nodes in file order. The order matters: it is upstream's registration
	// order, which decides the order events are collected in.
	Nodes []Node
	// Network is never nil after loading: an absent section is the direct
	// model with upstream's defaults.
	Network Network
	// MLInference is upstream's ml_inference section, kept as written (the
	// value types are those of Node.Docker); nil when absent.
	MLInference map[string]any
	// Report holds what the run writes besides summary.json.
	Report Report
	// Assertions are validation.assertions: the gate.
	Assertions []Assertion
	// Faults are injected on the virtual timeline.
	Faults []Fault
	// Observers watch what the app under test puts out (observe:).
	Observers []Observer
}

// Simulation is the simulation section.
type Simulation struct {
	DurationS float64
	// DurationUS is int(duration_s * 1e6), as upstream computes it.
	DurationUS    int64
	Seed          int64
	TimeQuantumUS int64
	// Compat is CompatUpstream to run the scenario as upstream would,
	// CompatXedgesim when the file says it means xedgesim's behaviour, and
	// empty when it says nothing (xedgesim's behaviour, with a note where
	// it differs from upstream's).
	Compat string
	Pos    Pos
}

// Values of simulation.compat.
const (
	// CompatXedgesim passes each node's config section to the node, as
	// the key's absence does, and says the file means it: no note that
	// results differ from upstream's.
	CompatXedgesim = "xedgesim"
	// CompatUpstream drops per-node config, as upstream's parser does, so
	// results match upstream's for any upstream file.
	CompatUpstream = "upstream"
)

// Upstream tells whether the scenario asks to be run as upstream runs it.
func (s Simulation) Upstream() bool { return s.Compat == CompatUpstream }

// Implementations upstream accepts, plus ours.
const (
	ImplPythonModel = "python_model"
	ImplDocker      = "docker"
	ImplRenode      = "renode_inprocess"
	ImplProcess     = "process"
)

// Node is one entry of the nodes list.
type Node struct {
	ID string
	// Count is set when the entry is a device group: Count devices whose
	// ids are ID with {i} replaced by 1..Count (devices.go). Zero for one
	// node.
	Count          int
	Type           string
	Implementation string
	// Port is the node's TCP port; HasPort tells whether the file set it.
	Port    int
	HasPort bool
	// Docker is the docker section, kept as written (upstream passes it
	// through verbatim); interpreted by the docker node issue. Set only for
	// implementation: docker. Values are map[string]any (mapping keys become
	// strings: ports {5000: 5000} has the key "5000"), []any, string, int
	// (int64 or uint64 when too large for int), float64, bool or nil.
	Docker map[string]any
	// Config is the per-node config section, which upstream drops. Values
	// have the types of Docker's.
	Config map[string]any
	// Renode fields (renode_inprocess only). Paths are as written; resolve
	// them with Scenario.Resolve.
	Platform    string
	Firmware    string
	MonitorPort int
	WorkingDir  string
	Seed        *int64
	Pos         Pos
	// KeyPos maps the node's own keys whose values are checked later
	// (platform, firmware) to where their values are written.
	KeyPos map[string]Pos
	// ConfigPos maps each config key to where it is written, for messages.
	ConfigPos map[string]Pos
}

// Network models.
const (
	ModelDirect  = "direct"
	ModelLatency = "latency"
)

// Network is the network section with upstream's defaults applied.
type Network struct {
	Model            string
	DefaultLatencyUS int64
	DefaultLossRate  float64
	Links            []Link
	Pos              Pos
}

// Link is a directed link (src -> dst). With Bidirectional set it stands for
// both directions, each with its own RNG stream.
type Link struct {
	Src       string
	Dst       string
	LatencyUS int64
	LossRate  float64
	// Extensions to upstream's format; zero means off.
	JitterUS      int64
	BandwidthBPS  int64
	Bidirectional bool
	Pos           Pos
}

// Report says what the run writes besides summary.json.
type Report struct {
	// CSV writes upstream's <node_id>_metrics.csv files.
	CSV bool
}

// Assertion is one entry of validation.assertions: metric operator value,
// optionally scoped by where.
type Assertion struct {
	// Metric is the canonical metric name (aliases such as delivery_ratio
	// are resolved when loading).
	Metric string
	// Operator is one of eq, gte, lte, gt, lt (==, >=, <=, >, < and
	// upstream's min:/max: are normalised to these).
	Operator    string
	Value       float64
	Description string
	Where       Scope
	// Field is the dotted path into observed JSON bodies that the
	// observed_field_* metrics read.
	Field string
	Pos   Pos
}

// Scope narrows a metric or a fault to some links or nodes. Each field is a
// glob (path.Match syntax); empty means any.
type Scope struct {
	Src  string `json:"src,omitempty"`
	Dst  string `json:"dst,omitempty"`
	Node string `json:"node,omitempty"`
	// Observe names an observer (observe:); observer metrics need it.
	Observe string `json:"observe,omitempty"`
}

// IsZero tells whether the scope selects everything.
func (s Scope) IsZero() bool { return s == Scope{} }

// Fault kinds.
const (
	FaultLinkDown    = "link_down"
	FaultLinkDegrade = "link_degrade"
	FaultPartition   = "partition"
	FaultNodeCrash   = "node_crash"
	// FaultNodePause freezes a node for duration_s (docker pause for a
	// container): it hangs, as a device does, and keeps its state.
	FaultNodePause = "node_pause"
)

// Fault is one entry of faults: something that goes wrong at a virtual time.
type Fault struct {
	Kind string
	AtUS int64
	// DurationUS is how long the fault lasts; 0 means until the end.
	DurationUS int64
	// Link selects the links of link_down and link_degrade.
	Link Scope
	// LatencyUS and LossRate replace the link's during link_degrade; nil
	// keeps the link's own.
	LatencyUS *int64
	LossRate  *float64
	// Groups are partition's sides: messages between nodes in different
	// groups are dropped.
	Groups [][]string
	// Node is node_crash's node; RestartAfterUS is how long it stays down
	// (nil: until the end).
	Node           string
	RestartAfterUS *int64
	Pos            Pos
}
