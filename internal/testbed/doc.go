// Package testbed gives tests the real parts that scripts/testbed starts:
// a plain registry, a TLS registry with basic auth, three edge hosts (each a
// network namespace with its own dockerd and sshd, edge3 declared arm64 and
// run through qemu), a BuildKit builder for docker buildx, and act.
//
// scripts/testbed up writes every address, port, key and path into one env
// file (KEY=value lines); Load reads it, so no test hard-codes an address.
// A test asks for the parts it uses:
//
//	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
//	edge := env.Edges[0]
//	cfg, err := edge.SSHConfig()
//
// Need skips the test when a part is missing, so plain `go test ./...` passes
// anywhere; with XEDGESIM_TESTBED=1 (set by `make test`) a missing part fails
// the test instead, so a broken bed can never pass as a skipped one.
package testbed
