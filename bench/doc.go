// Command bench measures xedgesim against what a user would use instead and
// writes bench/results.md, bench/results.json and the plots next to them.
//
// Run it with `make bench` (which builds bin/xedgesim first) or
// `go run ./bench`. The machines it runs on are shared and noisy, so every
// figure is the median of several runs with its min and max, contenders
// are alternated run by run so a burst of load hits both, and the load
// average at the start and the end is recorded with the results.
//
// Each section (simulation, build, push, deploy, startup) is one
// file with a function of type sectionFunc that returns its measurements;
// main lists the sections and the report writer renders whatever they
// return. `go run ./bench -only build` re-runs the named sections and
// merges them into the existing results, keeping the others.
//
// The build section holds `xedgesim build --go` against ko, pinned in
// tools/ko/go.mod and built on first use into
// /var/cache/xedgesim/tools/ko-<version>/ko. ko's base is an empty
// two-platform index the bench pushes to the test bed's plain registry (or,
// without a bed, to an in-memory registry of its own).
//
// The push section holds `xedgesim push` against `crane copy` (tools/crane,
// at the go-containerregistry version of go.mod) between repositories of
// the bed's plain registry, through a reverse proxy in the bench that
// counts blob uploads. The deploy section holds `xedgesim deploy` against
// `docker save | ssh docker load` on the bed's edges, through a TCP proxy
// per edge that counts the bytes sent; it needs the test bed, and leaves
// nothing on the edges, the host's engine or the registry, also when
// interrupted. With XEDGESIM_BENCH_TRACE=FILE it appends each deploy's
// progress lines to FILE with their times, every host's where the figures
// keep edge1's. The startup section runs each verb with GODEBUG=inittrace=1
// and reports the sum of its package inits and the largest of them
// (inittrace.go).
package main
