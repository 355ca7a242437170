// Command testsummary turns `go test -json` into the text `go test -v`
// prints and ends it with the failures: each failed test's last lines and
// then one line per failed test and package.
//
// make test runs every test of a long bed run with -v; a CI log is often read
// from its tail, where the failure of a package that finished early was long
// gone. testsummary puts it last.
//
//	go test -json ./... | go run ./internal/testsummary
//
// It keeps only the last lines of each running test, so its memory is
// bounded by the tests in flight, not by the log. It ignores SIGINT, as the
// Ctrl-C that stops go test would otherwise cut the summary off; it ends
// when go test closes the pipe.
package main
