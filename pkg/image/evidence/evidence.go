package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xedgesim/simulate/internal/version"
)

// The identifiers of the format.
const (
	// Schema is the value of the schema field of every evidence.json.
	Schema = "https://xedgesim.dev/schemas/evidence/v1"
	// ArtifactType is the OCI artifact type of attached evidence, and the
	// media type of its one layer.
	ArtifactType = "application/vnd.xedgesim.simulation.v1+json"
	// FileName is the name simulate writes it under.
	FileName = "evidence.json"
)

// The verdicts of a run and of a whole simulation.
const (
	Pass  = "pass"
	Fail  = "fail"
	Error = "error"
)

// Evidence is what a simulation proves about images: which scenarios ran,
// from which files, with which seeds, what each run concluded, and which
// images (by digest) were in it. It holds no timestamps: the same
// simulation gives the same bytes, so attaching it twice gives one artifact.
type Evidence struct {
	Schema  string  `json:"schema"`
	Verdict string  `json:"verdict"`
	Toolkit Toolkit `json:"toolkit"`
	// Scenarios are sorted by file, then name.
	Scenarios []Scenario `json:"scenarios"`
	// Images are the images that ran, sorted by digest then node.
	Images []Image `json:"images"`
}

// Toolkit is the xedgesim that ran the simulation.
type Toolkit struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// Scenario is one scenario file and its runs.
type Scenario struct {
	Name string `json:"name"`
	// File is the path as given to simulate; SHA256 the hex digest of its
	// bytes, so the evidence names exactly what ran.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Runs are sorted by seed.
	Runs []RunResult `json:"runs"`
}

// RunResult is one run of a scenario.
type RunResult struct {
	Seed    int64  `json:"seed"`
	Verdict string `json:"verdict"`
	// Failures say what failed: an assertion, or the error.
	Failures []string `json:"failures,omitempty"`
}

// Image is an image that ran in the simulation.
type Image struct {
	// Node is the scenario node that ran it, if any.
	Node string `json:"node,omitempty"`
	// Ref is the reference as written; Digest its sha256:... digest, of
	// an index or of the platform's image.
	Ref      string `json:"ref,omitempty"`
	Digest   string `json:"digest"`
	Platform string `json:"platform,omitempty"`
}

// Run is one simulation run as simulate knows it; [New] groups runs by
// scenario file.
type Run struct {
	Scenario string // the scenario's name
	File     string // its path, as given
	SHA256   string // hex SHA-256 of the file (see FileSHA256)
	Seed     int64
	Verdict  string   // pass, fail or error
	Failures []string // what failed, when it did
	// Passed are the assertions that held; they go into the statement's
	// passedTests, not into evidence.json.
	Passed []string
}

// New builds the evidence of a simulation: its overall verdict, its runs
// and the images that ran. The toolkit is the running binary's version.
// The result is sorted, so it does not depend on the order of runs.
func New(verdict string, runs []Run, images []Image) Evidence {
	info := version.Get()
	e := Evidence{
		Schema:    Schema,
		Verdict:   verdict,
		Toolkit:   Toolkit{Name: "xedgesim", Version: info.Version, Commit: info.Commit},
		Scenarios: []Scenario{},
		Images:    []Image{},
	}
	byKey := map[string]int{}
	for _, r := range runs {
		key := r.File + "\x00" + r.Name() + "\x00" + r.SHA256
		i, ok := byKey[key]
		if !ok {
			i = len(e.Scenarios)
			byKey[key] = i
			e.Scenarios = append(e.Scenarios, Scenario{Name: r.Scenario, File: r.File, SHA256: r.SHA256, Runs: []RunResult{}})
		}
		e.Scenarios[i].Runs = append(e.Scenarios[i].Runs, RunResult{Seed: r.Seed, Verdict: r.Verdict, Failures: append([]string(nil), r.Failures...)})
	}
	for i := range e.Scenarios {
		rs := e.Scenarios[i].Runs
		sort.SliceStable(rs, func(a, b int) bool { return rs[a].Seed < rs[b].Seed })
	}
	sort.SliceStable(e.Scenarios, func(a, b int) bool {
		x, y := e.Scenarios[a], e.Scenarios[b]
		if x.File != y.File {
			return x.File < y.File
		}
		return x.Name < y.Name
	})
	e.Images = append(e.Images, images...)
	sort.SliceStable(e.Images, func(a, b int) bool {
		x, y := e.Images[a], e.Images[b]
		if x.Digest != y.Digest {
			return x.Digest < y.Digest
		}
		return x.Node < y.Node
	})
	return e
}

// Name is the run's scenario name.
func (r Run) Name() string { return r.Scenario }

// FileSHA256 is the hex SHA-256 of a file, for Run.SHA256.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path) // #nosec G304 -- the scenario file the run used, for its hash
	if err != nil {
		return "", fmt.Errorf("hashing scenario file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing scenario file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Validate reports every structural mistake at once.
func (e Evidence) Validate() error {
	var errs []error
	if e.Schema != Schema {
		errs = append(errs, fmt.Errorf("schema is %q, want %q", e.Schema, Schema))
	}
	if !validVerdict(e.Verdict) {
		errs = append(errs, fmt.Errorf("verdict is %q, want pass, fail or error", e.Verdict))
	}
	for i, s := range e.Scenarios {
		if s.Name == "" && s.File == "" {
			errs = append(errs, fmt.Errorf("scenarios[%d]: no name and no file", i))
		}
		if s.SHA256 != "" {
			if b, err := hex.DecodeString(s.SHA256); err != nil || len(b) != sha256.Size {
				errs = append(errs, fmt.Errorf("scenarios[%d].sha256 %q: want 64 hex digits", i, s.SHA256))
			}
		}
		for j, r := range s.Runs {
			if !validVerdict(r.Verdict) {
				errs = append(errs, fmt.Errorf("scenarios[%d].runs[%d].verdict is %q, want pass, fail or error", i, j, r.Verdict))
			}
		}
	}
	for i, im := range e.Images {
		if !strings.HasPrefix(im.Digest, "sha256:") || len(im.Digest) != len("sha256:")+64 {
			errs = append(errs, fmt.Errorf("images[%d].digest %q: want sha256:<64 hex digits>", i, im.Digest))
		}
	}
	return errors.Join(errs...)
}

func validVerdict(v string) bool { return v == Pass || v == Fail || v == Error }

// Marshal encodes the evidence in its canonical form: indented JSON with
// a final newline.
func (e Evidence) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding evidence: %w", err)
	}
	return append(b, '\n'), nil
}

// Write writes dir/evidence.json and returns its path.
func (e Evidence) Write(dir string) (string, error) {
	b, err := e.Marshal()
	if err != nil {
		return "", err
	}
	return publish(dir, FileName, "evidence", b)
}

// publish writes b as dir/name, world-readable: evidence and statements are
// published with the results. what names it in errors.
func publish(dir, name, what string, b []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- published with the results
		return "", fmt.Errorf("writing %s: %w", what, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil { // #nosec G306 -- meant to be published
		return "", fmt.Errorf("writing %s: %w", what, err)
	}
	return path, nil
}

// Read reads and validates an evidence file.
func Read(file string) (Evidence, error) {
	b, err := os.ReadFile(file) // #nosec G304 -- the evidence file the user named
	if err != nil {
		return Evidence{}, fmt.Errorf("reading evidence: %w", err)
	}
	e, err := Parse(b)
	if err != nil {
		return Evidence{}, fmt.Errorf("reading evidence %s: %w", file, err)
	}
	return e, nil
}

// Parse decodes and validates evidence; unknown fields are mistakes.
func Parse(b []byte) (Evidence, error) {
	var e Evidence
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Evidence{}, fmt.Errorf("decoding evidence: %w", err)
	}
	if err := e.Validate(); err != nil {
		return Evidence{}, fmt.Errorf("validating evidence: %w", err)
	}
	return e, nil
}

// Check tells whether the evidence lets the image with digest subject be
// promoted: the verdict and every run pass, at least one run happened, and
// the images that ran include subject or one of its manifests (children,
// the digests of its platforms). It returns nil or a *Refusal.
func (e Evidence) Check(subject string, children ...string) error {
	var runs int
	for _, s := range e.Scenarios {
		for _, r := range s.Runs {
			runs++
			if r.Verdict != Pass {
				why := r.Verdict
				if len(r.Failures) > 0 {
					why += ": " + strings.Join(r.Failures, "; ")
				}
				return &Refusal{Subject: subject, Scenario: scenarioName(s), Seed: r.Seed, Reason: fmt.Sprintf("scenario %s (seed %d) did not pass (%s)", scenarioName(s), r.Seed, why)}
			}
		}
	}
	if runs == 0 {
		return &Refusal{Subject: subject, Reason: "the evidence holds no scenario run: no simulation ran"}
	}
	if e.Verdict != Pass {
		return &Refusal{Subject: subject, Reason: fmt.Sprintf("the simulation's verdict is %s", e.Verdict)}
	}
	ok := map[string]bool{subject: true}
	for _, c := range children {
		ok[c] = true
	}
	var ran []string
	for _, im := range e.Images {
		if ok[im.Digest] {
			return nil
		}
		ran = append(ran, im.Digest)
	}
	if len(ran) == 0 {
		return &Refusal{Subject: subject, Reason: "the evidence names no image that ran, so it does not show that this digest was simulated (give simulate the image)"}
	}
	return &Refusal{Subject: subject, Reason: fmt.Sprintf("the simulation ran %s, not this digest", strings.Join(ran, ", "))}
}

func scenarioName(s Scenario) string {
	if s.Name != "" && s.File != "" {
		return fmt.Sprintf("%s (%s)", s.Name, s.File)
	}
	if s.Name != "" {
		return s.Name
	}
	return s.File
}

// Refusal says why a digest may not be promoted. Its exit code is 2: a
// gate failed.
type Refusal struct {
	Subject string
	// Scenario and Seed name the run that failed, when one did.
	Scenario string
	Seed     int64
	Reason   string
	// Kind is set by [Policy.Check]: one of the Refused* kinds.
	Kind string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("refusing to promote %s: %s", r.Subject, r.Reason)
}

// ExitCode is 2, the gate-failed code of every xedgesim verb.
func (r *Refusal) ExitCode() int { return 2 }
