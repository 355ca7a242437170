package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// initLine is one line GODEBUG=inittrace=1 makes the runtime print to
// stderr for each package whose init does any work:
//
//	init internal/bytealg @0.057 ms, 0 ms clock, 0 bytes, 0 allocs
type initLine struct {
	Pkg     string
	ClockMS float64 // wall time of the package's init
	Bytes   int64   // heap allocated by it
	Allocs  int64
}

var initLineRE = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs$`)

// parseInittrace returns the inittrace lines of a process's stderr, in
// order, skipping everything else the process wrote there.
func parseInittrace(stderr []byte) []initLine {
	var out []initLine
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := initLineRE.FindStringSubmatch(strings.TrimRight(sc.Text(), "\r"))
		if m == nil {
			continue
		}
		clock, err1 := strconv.ParseFloat(m[2], 64)
		b, err2 := strconv.ParseInt(m[3], 10, 64)
		n, err3 := strconv.ParseInt(m[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, initLine{Pkg: m[1], ClockMS: clock, Bytes: b, Allocs: n})
	}
	return out
}

// startupVerb is one invocation whose start-up is traced: the cheapest
// that still goes through the verb's command (--help where the verb needs
// a registry, hosts or a manifest).
type startupVerb struct {
	key  string // figure keys: startup.<key>.*
	name string // as shown
	args []string
}

// initPkgPrefix marks the per-package values of a traced Sample.
const initPkgPrefix = "init:"

// tracedRun runs bin with GODEBUG=inittrace=1 and returns the whole
// process's wall time, the sum of the init clock times (init_ms) and each
// package's (init:<pkg>).
func tracedRun(dir, bin string, args ...string) (Sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Sample{}, fmt.Errorf("%s %v: %w\n%s%s", bin, args, err, tail(stdout.Bytes(), 1000), tail(stderr.Bytes(), 1000))
	}
	lines := parseInittrace(stderr.Bytes())
	if len(lines) == 0 {
		return Sample{}, fmt.Errorf("%s %v: no inittrace lines on stderr (GODEBUG=inittrace=1 ignored?)", bin, args)
	}
	s := Sample{Wall: wall, Values: map[string]float64{}}
	for _, l := range lines {
		s.Values["init_ms"] += l.ClockMS
		s.Values[initPkgPrefix+l.Pkg] += l.ClockMS
	}
	return s, nil
}

// pkgShare is a package's median init time over a verb's runs.
type pkgShare struct {
	Pkg string
	MS  Stats
}

// topInits returns the n packages with the largest median init time over
// samples (a package missing from a run counts 0 there), largest first,
// ties by name.
func topInits(samples []Sample, n int) []pkgShare {
	pkgs := map[string]bool{}
	for _, s := range samples {
		for k := range s.Values {
			if p, ok := strings.CutPrefix(k, initPkgPrefix); ok {
				pkgs[p] = true
			}
		}
	}
	var out []pkgShare
	for p := range pkgs {
		out = append(out, pkgShare{Pkg: p, MS: field(samples, value(initPkgPrefix+p))})
	}
	slices.SortFunc(out, func(a, b pkgShare) int {
		return cmp.Or(cmp.Compare(b.MS.Median, a.MS.Median), cmp.Compare(a.Pkg, b.Pkg))
	})
	return out[:min(n, len(out))]
}

// startup is the start-up section: for each verb, what the Go runtime
// reports of package initialisation (GODEBUG=inittrace=1), and
// m0_baseline's whole process without the trace.
func startup(env *Env) (*Section, error) {
	s := &Section{Title: "Start-up"}
	scenarios := filepath.Join(env.Root, "scenarios")
	m0Out := filepath.Join(env.Tmp, "startup-m0", "out")
	verbs := []startupVerb{
		{"simulate", "simulate m0_baseline", []string{"simulate", "--out", m0Out, filepath.Join(scenarios, "m0_baseline.yaml")}},
		{"build", "build --help", []string{"build", "--help"}},
		{"push", "push --help", []string{"push", "--help"}},
		{"deploy", "deploy --help", []string{"deploy", "--help"}},
		{"verify", "verify --help", []string{"verify", "--help"}},
		{"version", "version", []string{"version"}},
	}
	plain := Contender{Name: "m0 (no trace)", Run: func() (Sample, error) {
		return runProcess(scenarios, env.Bin, verbs[0].args...)
	}}
	hello, err := helloWorld(env)
	if err != nil {
		return nil, err
	}
	floor := Contender{Name: "Go hello world (no trace)", Run: func() (Sample, error) { return runProcess(scenarios, hello) }}
	floorTraced := Contender{Name: "Go hello world", Run: func() (Sample, error) { return tracedRun(scenarios, hello) }}
	cs := []Contender{plain, floor, floorTraced}
	for _, v := range verbs {
		cs = append(cs, Contender{Name: v.name, Run: func() (Sample, error) { return tracedRun(scenarios, env.Bin, v.args...) }})
	}
	runs := env.Runs
	if !env.Quick {
		runs = max(baselineRuns, runs)
	}
	res, err := alternate(runs, cs...)
	if err != nil {
		return nil, fmt.Errorf("tracing start-up: %w", err)
	}

	var body strings.Builder
	body.WriteString("### Package initialisation per verb\n\n")
	fmt.Fprintf(&body, "Each verb run %d times with `GODEBUG=inittrace=1`, alternated; the runtime prints one line per package "+
		"whose init does work, and the total is the sum of their `ms clock` (the `runtime` line included). "+
		"Every verb is the same binary, so Go runs the same package inits whatever the verb: the totals differ by noise, "+
		"and lowering them means linking fewer packages into `xedgesim` or making their package-level work lazy. "+
		"The last line is the floor: a Go hello world built as `make build` builds xedgesim (static, stripped).\n\n", runs)
	body.WriteString("| verb | init total | whole process | largest inits (median ms) |\n|---|---:|---:|---|\n")
	var simInit Stats
	for _, v := range verbs {
		ss := res[v.name]
		total := s.figure("startup."+v.key+".init_ms", v.name+": package init total (inittrace)", "ms", field(ss, value("init_ms")))
		wall := s.figure("startup."+v.key+".wall_s", v.name+": whole process with inittrace", "s", field(ss, wallS))
		if v.key == "simulate" {
			simInit = total
		}
		var top []string
		for i, p := range topInits(ss, 5) {
			s.figure(fmt.Sprintf("startup.%s.init_top%d_ms", v.key, i+1), fmt.Sprintf("%s: init of %s (#%d)", v.name, p.Pkg, i+1), "ms", p.MS)
			top = append(top, fmt.Sprintf("`%s` %.2f", p.Pkg, p.MS.Median))
		}
		fmt.Fprintf(&body, "| `%s` | %.2f ms [%.2f–%.2f] | %s | %s |\n", v.name, total.Median, total.Min, total.Max, fmtDur(wall.Median), strings.Join(top, ", "))
	}
	helloInit := s.figure("startup.hello.init_ms", "Go hello world: package init total (inittrace)", "ms", field(res[floorTraced.Name], value("init_ms")))
	var top []string
	for _, p := range topInits(res[floorTraced.Name], 3) {
		top = append(top, fmt.Sprintf("`%s` %.2f", p.Pkg, p.MS.Median))
	}
	fmt.Fprintf(&body, "| Go hello world (the floor) | %.2f ms [%.2f–%.2f] | %s | %s |\n", helloInit.Median, helloInit.Min, helloInit.Max,
		fmtDur(field(res[floorTraced.Name], wallS).Median), strings.Join(top, ", "))
	m0 := s.figure("startup.m0.wall_s", "m0_baseline: whole process without inittrace", "s", field(res[plain.Name], wallS))
	hw := s.figure("startup.hello.wall_s", "Go hello world: whole process without inittrace", "s", field(res[floor.Name], wallS))
	fmt.Fprintf(&body, "\nWithout the trace, whole process, median of %d runs: m0_baseline %s [%s–%s]; a Go hello world %s [%s–%s].\n\n",
		m0.N, fmtDur(m0.Median), fmtDur(m0.Min), fmtDur(m0.Max), fmtDur(hw.Median), fmtDur(hw.Min), fmtDur(hw.Max))

	s.target("simulate m0_baseline: package init total (GODEBUG=inittrace=1)", "< 2 ms", fmt.Sprintf("%.2f ms", simInit.Median), simInit.Median < 2)
	s.target("m0_baseline: whole-process wall time, median", "≤ 10 ms", fmtDur(m0.Median), m0.Median <= 0.010)
	s.Body = body.String()
	return s, nil
}

// helloWorld builds the smallest Go program as make build builds xedgesim
// (static, trimmed, stripped): what any Go process costs on this machine,
// beside which the start-up targets are read.
func helloWorld(env *Env) (string, error) {
	dir := filepath.Join(env.Tmp, "hello")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building a Go hello world: %w\n%s", err, tail(out, 2000))
	}
	return bin, nil
}
