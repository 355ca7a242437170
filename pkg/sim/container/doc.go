// Package container runs a scenario's implementation: docker nodes as real
// containers through the Docker Engine API: a node.Runtime the CLI injects
// into the run,
//
//	rt, err := container.New(container.WithLogDir(dir))
//	res, err := sim.Run(ctx, sc, sim.WithRuntime(rt))
//
// A container takes part over upstream's TCP protocol or its stdin/stdout
// protocol (docker exec -i) in lockstep, or as a black-box service in
// wall-clock time, with health checks, node_crash faults and restart
// policies. The containers of a run share a network of the run; images
// given as oci:<dir>, tar:<file> or a build context are loaded for the run
// (the platform docker.platform names; a build context with an image name
// is built only when the engine lacks that image, and keeps the tag).
// Relative paths resolve against the scenario's directory, else the
// working directory, as upstream's do. Everything else is labelled with
// the run, and the run removes it when it ends, on every path; a run whose
// runner was killed is cleaned up by the next.
//
// Keeping this apart from the kernel keeps the Engine API client
// (internal/engine), the registry library and their dependencies out of
// pkg/sim, pkg/gate and the reports.
package container
