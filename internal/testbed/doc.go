// Package testbed gives tests the real parts that scripts/testbed starts:
// a plain registry, a TLS registry with basic auth, three edge hosts (each a
// network namespace and a cgroup with its own dockerd and sshd, edge3
// declared arm64 and run through qemu), a BuildKit builder for docker buildx, and act.
//
// scripts/testbed up writes every address, port, key and path into one env
// file (KEY=value lines, values with spaces single-quoted so a shell can
// source it); Load reads it, so no test hard-codes an address. A test asks
// for the parts it uses:
//
//	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
//	edge := env.Edges[0]
//	cfg, err := edge.SSHConfig() // strict host-key checking
//
// Need skips the test when a part is missing, so plain `go test ./...` passes
// anywhere; with XEDGESIM_TESTBED=1 (set by `make test`) a missing part fails
// the test instead, so a broken bed can never pass as a skipped one.
//
// The env file's keys, all prefixed XEDGESIM_TESTBED_:
//
//	REGISTRY, REGISTRY_EDGE               plain registry as host:port, from the host and from the edges
//	TLS_REGISTRY, TLS_REGISTRY_EDGE       TLS registry, likewise
//	TLS_REGISTRY_CA                       PEM file of the bed's CA
//	TLS_REGISTRY_USER, _PASSWORD          its basic-auth credentials
//	OCI_REGISTRY, OCI_REGISTRY_EDGE       plain registry with the OCI 1.1 referrers API (Var)
//	DOCKER, DOCKER_HOST                   docker CLI path, the host engine (unix://)
//	SSH_KEY, SSH_KNOWN_HOSTS              client private key, known_hosts of all edges
//	EDGES                                 edge names, space-separated
//	<EDGE>_ADDR, _HOST_ADDR               edge address, the host's address on its link
//	<EDGE>_SSH_PORT, _SSH_USER            sshd port and login user
//	<EDGE>_KNOWN_HOSTS                    known_hosts line of its host key
//	<EDGE>_PLATFORM                       declared platform (edge3: linux/arm64)
//	<EDGE>_DOCKER_HOST, _NETNS            its engine (unix://), its network namespace
//	<EDGE>_CPU_CGROUP                     its cgroup's directory in the cpu hierarchy (Var)
//	BUILDX_BUILDER, BUILDKIT_HOST         buildx builder name, buildkitd address
//	BUILDKITD, BUILDX, ACT, COSIGN        tool binaries (COSIGN through Var)
//	STATE_DIR                             where the bed keeps its state
//
// <EDGE> is the upper-cased edge name, e.g. XEDGESIM_TESTBED_EDGE3_PLATFORM.
package testbed
