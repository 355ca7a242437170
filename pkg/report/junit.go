package report

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// JUnit renders junit.xml: one <testsuite> per run, named "<scenario> seed
// <n>", and one <testcase> per assertion, with file and line pointing at the
// assertion in the scenario file. A failed assertion gets a <failure> naming
// the metric, its actual value, the operator and the threshold; an assertion
// that could not be measured, or any assertion of a run that did not finish,
// gets an <error>. A run without assertions gets one test case, "runs without
// error". The run's warnings and notes are the suite's <system-out>.
//
// The file records no timestamp and no duration (time is always "0", which
// reporters that parse the attribute need), so the same seed gives the same
// bytes.
func JUnit(s Suite) ([]byte, error) {
	root := junitSuites{Name: "xedgesim simulate", Time: "0"}
	for _, r := range s.Runs {
		ts := junitRun(r)
		root.addCounts(ts.junitCounts)
		root.Suites = append(root.Suites, ts)
	}
	b, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering junit: %w", err)
	}
	out := append([]byte(xml.Header), b...)
	return append(out, '\n'), nil
}

// The JUnit schema as Ant, Surefire and the GitHub reporters read it.
type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Time   string       `xml:"time,attr"`
	Suites []junitSuite `xml:"testsuite"`
}

// junitCounts are the test case totals that <testsuites> and each
// <testsuite> carry as attributes.
type junitCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
}

func (c *junitCounts) addCounts(o junitCounts) {
	c.Tests += o.Tests
	c.Failures += o.Failures
	c.Errors += o.Errors
	c.Skipped += o.Skipped
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Time       string          `xml:"time,attr"`
	File       string          `xml:"file,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitOutput    `xml:"system-out"`
}

type junitOutput struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// CDATA keeps multi-line bodies readable in the raw file; encoding/xml
	// splits any "]]>" inside, and xmlText drops what XML cannot hold.
	Text string `xml:",cdata"`
}

// xmlText removes the characters XML 1.0 forbids (control characters from a
// scenario or an error message would make the whole file unreadable).
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

func junitRun(r Run) junitSuite {
	ts := junitSuite{
		Name: fmt.Sprintf("%s seed %d", r.Scenario, r.Seed),
		Time: "0",
		File: r.ScenarioFile,
		Properties: []junitProperty{
			{Name: "scenario", Value: r.Scenario},
			{Name: "scenario_file", Value: r.ScenarioFile},
			{Name: "seed", Value: strconv.FormatInt(r.Seed, 10)},
			{Name: "verdict", Value: r.Verdict},
		},
	}
	if out := systemOut(r); out != "" {
		ts.SystemOut = &junitOutput{Text: xmlText(out)}
	}
	if len(r.Assertions) == 0 {
		tc := junitCase{Name: "runs without error", Classname: r.Scenario, File: r.ScenarioFile, Time: "0"}
		if r.Verdict == Error {
			tc.Error = &junitProblem{Message: r.Error, Type: "run", Text: xmlText(reproduce(r))}
		}
		ts.add(tc)
		return ts
	}
	for _, o := range r.Assertions {
		tc := junitCase{Name: o.name(), Classname: r.Scenario, File: o.File, Line: o.Line, Time: "0"}
		if tc.File == "" {
			tc.File = r.ScenarioFile
		}
		switch o.status(r) {
		case Fail:
			tc.Failure = &junitProblem{Message: o.failureMessage(), Type: "assertion", Text: xmlText(details(r, o))}
		case Error:
			typ := "measurement"
			if r.Verdict == Error {
				typ = "run"
			}
			tc.Error = &junitProblem{Message: o.errorMessage(r), Type: typ, Text: xmlText(details(r, o))}
		}
		ts.add(tc)
	}
	return ts
}

// systemOut is a run's warnings, then its notes, each under its heading:
// the suite's console output, where CI reporters show what a run said.
func systemOut(r Run) string {
	var b strings.Builder
	for _, l := range []struct {
		head  string
		lines []string
	}{{"warnings", r.Warnings}, {"notes", r.Notes}} {
		if len(l.lines) > 0 {
			b.WriteString(l.head + ":\n" + strings.Join(l.lines, "\n") + "\n")
		}
	}
	return b.String()
}

func (ts *junitSuite) add(tc junitCase) {
	ts.Tests++
	switch {
	case tc.Failure != nil:
		ts.Failures++
	case tc.Error != nil:
		ts.Errors++
	}
	ts.Cases = append(ts.Cases, tc)
}

// details is the body of a failure: where the assertion is and how to run
// the same simulation again.
func details(r Run, o Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "assertion: %s\n", o.check())
	if o.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", o.Description)
	}
	if loc := location(o.File, o.Line); loc != "" {
		if o.Col > 0 {
			loc += ":" + strconv.Itoa(o.Col)
		}
		fmt.Fprintf(&b, "at: %s\n", loc)
	}
	b.WriteString(reproduce(r))
	return b.String()
}

func reproduce(r Run) string {
	return fmt.Sprintf("reproduce: xedgesim simulate --seed %d %s\n", r.Seed, r.ScenarioFile)
}
