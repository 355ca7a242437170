package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// goBench runs the Go benchmarks of the event queue and the network model
// and keeps their output verbatim: it is what benchstat reads, so two
// results.json files (or two results.md blocks) compare with
// `benchstat old.txt new.txt`.
func goBench(env *Env, s *Section, body *strings.Builder) error {
	count, benchtime := env.Runs, "0.5s"
	if env.Quick {
		benchtime = "0.1s"
	}
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem",
		"-count", fmt.Sprint(count), "-benchtime", benchtime,
		"./pkg/sim/event", "./pkg/sim/netmodel"}
	cmd := exec.Command("go", args...)
	cmd.Dir = env.Root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running go test -bench: %w\n%s", err, out.Bytes())
	}
	s.Text = out.String()
	fmt.Fprintf(body, "### Go benchmarks: event queue and network model\n\n"+
		"`go %s`, verbatim below (benchstat-readable; copy the block to a file and run `benchstat` on it). "+
		"`Queue` is the kernel's FIFO-stable heap, `HeapQ` the CPython-heapq-compatible one the node models use; "+
		"`Route*` is the cost per message routed and delivered.\n\n", strings.Join(args, " "))
	return nil
}
