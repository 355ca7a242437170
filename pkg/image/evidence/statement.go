package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The identifiers of the in-toto statement simulate writes.
const (
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateTestResult is the in-toto test-result predicate type; it
	// is the --type cosign verify-attestation takes.
	PredicateTestResult = "https://in-toto.io/attestation/test-result/v0.1"
	// PredicateEvidence names the full evidence.json, which travels inside
	// the test-result predicate as a configuration resource.
	PredicateEvidence = "https://xedgesim.dev/evidence/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// StatementFileName is the name simulate writes the statement under,
	// beside evidence.json.
	StatementFileName = "statement.intoto.json"
)

// The results of the test-result predicate.
const (
	Passed = "PASSED"
	Failed = "FAILED"
)

// maxStatementSize bounds a statement read from a file or a bundle.
const maxStatementSize = 4 << 20

// Statement is an in-toto Statement v1 whose predicate is a test result.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     TestResult      `json:"predicate"`
	raw           json.RawMessage // the bytes it was parsed from, if any
}

// Subject is an artifact the statement is about: an image by digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// TestResult is the test-result predicate: the result, what ran
// (configuration) and one entry per assertion and seed.
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration"`
	URL           string               `json:"url,omitempty"`
	PassedTests   []string             `json:"passedTests"`
	WarnedTests   []string             `json:"warnedTests,omitempty"`
	FailedTests   []string             `json:"failedTests"`
}

// ResourceDescriptor is an in-toto resource descriptor: a scenario file,
// the toolkit, or the evidence (with its bytes as content).
type ResourceDescriptor struct {
	Name             string            `json:"name,omitempty"`
	URI              string            `json:"uri,omitempty"`
	Digest           map[string]string `json:"digest,omitempty"`
	Content          []byte            `json:"content,omitempty"`
	MediaType        string            `json:"mediaType,omitempty"`
	Annotations      map[string]any    `json:"annotations,omitempty"`
	DownloadLocation string            `json:"downloadLocation,omitempty"`
}

// NewStatement is the statement of a simulation: its subjects are every
// image digest that ran, its result PASSED only when the evidence passes,
// its configuration the scenario files (name, sha256, seeds), the toolkit
// and the evidence itself, and its tests one entry per assertion and seed
// from runs (see [Run.Passed] and [Run.Failures]). It is sorted and holds
// no timestamp, so the same simulation gives the same bytes.
func NewStatement(e Evidence, runs []Run) (Statement, error) {
	body, err := e.Marshal()
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Type: StatementType, PredicateType: PredicateTestResult, Subject: []Subject{}}
	seen := map[string]bool{}
	for _, im := range e.Images {
		if seen[im.Digest] {
			continue
		}
		seen[im.Digest] = true
		name := im.Ref
		if name == "" {
			name = im.Node
		}
		st.Subject = append(st.Subject, Subject{Name: name, Digest: map[string]string{"sha256": strings.TrimPrefix(im.Digest, "sha256:")}})
	}
	p := &st.Predicate
	p.Result = Failed
	if e.Verdict == Pass {
		p.Result = Passed
	}
	for _, s := range e.Scenarios {
		seeds := make([]int64, 0, len(s.Runs))
		for _, r := range s.Runs {
			seeds = append(seeds, r.Seed)
		}
		name := s.File
		if name == "" {
			name = s.Name
		}
		rd := ResourceDescriptor{Name: name, Annotations: map[string]any{"scenario": s.Name, "seeds": seeds}}
		if s.SHA256 != "" {
			rd.Digest = map[string]string{"sha256": s.SHA256}
		}
		p.Configuration = append(p.Configuration, rd)
	}
	p.Configuration = append(p.Configuration,
		ResourceDescriptor{Name: e.Toolkit.Name, URI: "pkg:golang/github.com/xedgesim/simulate@" + e.Toolkit.Version,
			Annotations: map[string]any{"version": e.Toolkit.Version, "commit": e.Toolkit.Commit}},
		ResourceDescriptor{Name: FileName, MediaType: ArtifactType, Digest: map[string]string{"sha256": sha256Hex(body)},
			Content: body, Annotations: map[string]any{"predicateType": PredicateEvidence}})
	p.PassedTests, p.FailedTests = []string{}, []string{}
	for _, r := range runs {
		prefix := r.Scenario + " seed " + strconv.FormatInt(r.Seed, 10) + ": "
		for _, a := range r.Passed {
			p.PassedTests = append(p.PassedTests, prefix+a)
		}
		for _, f := range r.Failures {
			p.FailedTests = append(p.FailedTests, prefix+f)
		}
		if r.Verdict != Pass && len(r.Failures) == 0 {
			p.FailedTests = append(p.FailedTests, prefix+"verdict "+r.Verdict)
		}
	}
	sort.Strings(p.PassedTests)
	sort.Strings(p.FailedTests)
	return st, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Marshal encodes the statement: indented JSON with a final newline. A
// parsed statement gives back the bytes it came from, so what was signed
// is what is checked.
func (s Statement) Marshal() ([]byte, error) {
	if s.raw != nil {
		return append([]byte(nil), s.raw...), nil
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	return append(b, '\n'), nil
}

// Write writes dir/statement.intoto.json and returns its path.
func (s Statement) Write(dir string) (string, error) {
	b, err := s.Marshal()
	if err != nil {
		return "", err
	}
	return publish(dir, StatementFileName, "statement", b)
}

// ReadStatement reads and checks a statement file.
func ReadStatement(file string) (Statement, error) {
	b, err := os.ReadFile(file) // #nosec G304 -- the statement file the user named
	if err != nil {
		return Statement{}, fmt.Errorf("reading statement: %w", err)
	}
	s, err := ParseStatement(b)
	if err != nil {
		return Statement{}, fmt.Errorf("reading statement %s: %w", file, err)
	}
	return s, nil
}

// ParseStatement decodes an in-toto Statement v1 with the test-result
// predicate and checks its shape. Unknown fields are allowed: statements
// made by other tools (cosign attest) carry their own.
func ParseStatement(b []byte) (Statement, error) {
	if len(b) > maxStatementSize {
		return Statement{}, fmt.Errorf("statement of %d bytes is larger than %d", len(b), maxStatementSize)
	}
	var s Statement
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return Statement{}, fmt.Errorf("decoding statement: %w", err)
	}
	var errs []error
	if s.Type != StatementType && s.Type != "https://in-toto.io/Statement/v0.1" {
		errs = append(errs, fmt.Errorf("_type is %q, want %s", s.Type, StatementType))
	}
	if s.PredicateType != PredicateTestResult {
		errs = append(errs, fmt.Errorf("predicateType is %q, want %s", s.PredicateType, PredicateTestResult))
	}
	if len(s.Subject) == 0 {
		errs = append(errs, errors.New("no subject"))
	}
	for i, sub := range s.Subject {
		if h, err := hex.DecodeString(sub.Digest["sha256"]); err != nil || len(h) != sha256.Size {
			errs = append(errs, fmt.Errorf("subject[%d] has no sha256 digest", i))
		}
	}
	switch s.Predicate.Result {
	case Passed, Failed, "WARNED":
	default:
		errs = append(errs, fmt.Errorf("predicate.result is %q, want PASSED, WARNED or FAILED", s.Predicate.Result))
	}
	if err := errors.Join(errs...); err != nil {
		return Statement{}, fmt.Errorf("checking statement: %w", err)
	}
	s.raw = append(json.RawMessage(nil), b...)
	return s, nil
}

// Digests are the subjects' digests, sha256:<hex>.
func (s Statement) Digests() []string {
	var ds []string
	for _, sub := range s.Subject {
		ds = append(ds, "sha256:"+sub.Digest["sha256"])
	}
	return ds
}

// Evidence is the evidence.json the statement carries, if it does (a
// statement made by another tool need not).
func (s Statement) Evidence() (Evidence, bool, error) {
	for _, rd := range s.Predicate.Configuration {
		if rd.MediaType != ArtifactType || rd.Content == nil {
			continue
		}
		if rd.Digest["sha256"] != sha256Hex(rd.Content) {
			return Evidence{}, true, errors.New("the evidence in the statement does not match its digest")
		}
		e, err := Parse(rd.Content)
		return e, true, err
	}
	return Evidence{}, false, nil
}

// Scenarios are the names of the scenarios the statement's configuration
// lists, and their files.
func (s Statement) Scenarios() []string {
	var names []string
	for _, rd := range s.Predicate.Configuration {
		if sc, ok := rd.Annotations["scenario"].(string); ok {
			names = append(names, sc, rd.Name)
		}
	}
	return names
}

// signingResource names the configuration resource that records when the
// statement was signed: the test-result predicate has no time of its own,
// and simulate's statement has none so that it is reproducible.
const signingResource = "xedgesim-signing"

// WithSignedAt is the statement with its signing time recorded in its
// configuration (replacing any earlier one), for [Policy.MaxAge].
func (s Statement) WithSignedAt(t time.Time) Statement {
	s.raw = nil
	var cfg []ResourceDescriptor
	for _, rd := range s.Predicate.Configuration {
		if rd.Name != signingResource {
			cfg = append(cfg, rd)
		}
	}
	s.Predicate.Configuration = append(cfg, ResourceDescriptor{Name: signingResource,
		Annotations: map[string]any{"signedAt": t.UTC().Format(time.RFC3339)}})
	return s
}

// SignedAt is the signing time the statement records, if any.
func (s Statement) SignedAt() (time.Time, bool) {
	for _, rd := range s.Predicate.Configuration {
		if rd.Name != signingResource {
			continue
		}
		v, _ := rd.Annotations["signedAt"].(string)
		t, err := time.Parse(time.RFC3339, v)
		return t, err == nil
	}
	return time.Time{}, false
}
