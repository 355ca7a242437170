package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// scratch is the bench's scratch directory, removed on an interrupt too.
var scratch string

// onInterrupt runs clean if the bench is interrupted (Ctrl-C, SIGTERM)
// before the returned stop is called, then exits; sections that put things
// on the test bed use it so that an interrupted run leaves nothing behind.
// clean may then run while the section is still busy: it must tolerate
// that, and it runs at most once.
func onInterrupt(clean func()) (stop func()) {
	var once sync.Once
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			fmt.Fprintf(os.Stderr, "bench: %s: cleaning up\n", s)
			once.Do(clean)
			if scratch != "" {
				os.RemoveAll(scratch)
			}
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}
