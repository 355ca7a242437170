package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// sections are run in order. The name is what -only takes.
var sections = []struct {
	name string
	run  sectionFunc
}{
	{"simulation", simulation},
	{"scale", scale},
	{"build", build},
	{"push", push},
	{"deploy", deploy},
	{"startup", startup},
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == measureArg {
		os.Exit(measureChild(os.Args[2:]))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	env := &Env{}
	flag.IntVar(&env.Runs, "runs", 5, "runs per figure (at least 5 for published results)")
	flag.BoolVar(&env.Quick, "quick", false, "shrink the workloads to try the bench itself; results are not for publishing")
	flag.IntVar(&env.PySeconds, "py-seconds", 0, "virtual seconds of the 50-sensor Python node run (default 3, 1 with -quick)")
	flag.StringVar(&env.Out, "out", "bench", "directory for results.md, results.json and plots")
	only := flag.String("only", "", "comma-separated sections to run (simulation, scale, build, push, deploy, startup); their results replace those sections in the existing results, the others are kept")
	flag.Parse()
	run, err := pick(*only)
	if err != nil {
		return err
	}
	if env.PySeconds <= 0 {
		env.PySeconds = map[bool]int{false: 3, true: 1}[env.Quick]
	}
	if env.Runs < 5 && !env.Quick {
		return fmt.Errorf("-runs %d: published figures need at least 5 (use -quick to try fewer)", env.Runs)
	}
	if err := setup(env); err != nil {
		return err
	}
	defer os.RemoveAll(env.Tmp)

	r := &Results{Started: time.Now().UTC(), Runs: env.Runs, Quick: env.Quick, Commit: gitCommit(env.Root), Machine: describeMachine()}
	for _, sec := range run {
		s, err := sec(env)
		if err != nil {
			return err
		}
		r.Sections = append(r.Sections, s)
	}
	r.Machine.LoadEnd = loadAvg()
	r.Finished = time.Now().UTC()
	r.Seconds = r.Finished.Sub(r.Started).Round(time.Second).Seconds()
	if *only != "" {
		err = mergeResults(env.Out, r)
	} else {
		err = writeResults(env.Out, r)
	}
	if err != nil {
		return err
	}
	fmt.Printf("bench: wrote %s in %s\n", filepath.Join(env.Out, "results.md"), r.Finished.Sub(r.Started).Round(time.Second))
	return nil
}

// pick returns the sections -only names, or all of them.
func pick(only string) ([]sectionFunc, error) {
	var out []sectionFunc
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var names []string
	found := map[string]bool{}
	for _, s := range sections {
		names = append(names, s.name)
		if len(want) == 0 || want[s.name] {
			out = append(out, s.run)
			found[s.name] = true
		}
	}
	for n := range want {
		if !found[n] {
			return nil, fmt.Errorf("-only %s: no such section (have %s)", n, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// setup finds the repository and the binary `make bench` built.
func setup(env *Env) error {
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("finding the working directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run the bench from the repository root (make bench): %w", err)
	}
	env.Root = root
	env.Bin = filepath.Join(root, "bin", "xedgesim")
	if _, err := os.Stat(env.Bin); err != nil {
		return fmt.Errorf("finding bin/xedgesim (make bench builds it): %w", err)
	}
	if env.Out, err = filepath.Abs(env.Out); err != nil {
		return fmt.Errorf("resolving -out: %w", err)
	}
	if err := os.MkdirAll(env.Out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", env.Out, err)
	}
	if env.Tmp, err = os.MkdirTemp("", "xedgesim-bench-"); err != nil {
		return fmt.Errorf("creating a scratch directory: %w", err)
	}
	scratch = env.Tmp
	return nil
}

func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
