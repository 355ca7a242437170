package main

import (
	"fmt"
	"os"
	"os/signal"
)

func main() {
	signal.Ignore(os.Interrupt)
	s := newSummary(keepLines)
	if err := s.read(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
	}
	if err := s.write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
	}
	if s.failed() {
		// go test's own exit status is the verdict; this one says the
		// same for a shell without pipefail.
		os.Exit(1)
	}
}
