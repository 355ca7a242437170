package main

// Env is what every section gets: where things are and how hard to try.
type Env struct {
	Root string // repository root
	Bin  string // absolute path of bin/xedgesim
	Out  string // where results and plots go
	Tmp  string // scratch space, removed at the end
	Runs int    // runs per figure (at least 5 for published results)
	// Quick shrinks the workloads so a change to the bench itself can be
	// tried in a minute; its results are not for publishing.
	Quick bool
	// PySeconds is how many virtual seconds the 50-sensor Python protocol
	// node run covers; its cost is linear in them, so it is scaled to 60.
	PySeconds int
}

// Figure is one measured quantity over several runs.
type Figure struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	Stats
}

// Target is a figure held against what DESIGN.md asks for.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// Section is what one section measured. Body is Markdown (tables, notes)
// placed between the targets and the raw figures; Text is verbatim output
// such as `go test -bench` lines.
type Section struct {
	Title   string   `json:"title"`
	Targets []Target `json:"targets"`
	Figures []Figure `json:"figures"`
	Body    string   `json:"-"`
	Text    string   `json:"text,omitempty"`
}

func (s *Section) figure(key, label, unit string, st Stats) Stats {
	s.Figures = append(s.Figures, Figure{Key: key, Label: label, Unit: unit, Stats: st})
	return st
}

func (s *Section) target(name, want, got string, met bool) {
	s.Targets = append(s.Targets, Target{Name: name, Want: want, Got: got, Met: met})
}

// sectionFunc measures one section. Build, push and deploy sections are
// meant to be further files with a function of this type, listed in main.
type sectionFunc func(*Env) (*Section, error)
