// Package nodes holds the Go sources of the example node images: small
// programs built into scratch images with `xedgesim build --go
// ./nodes/<name>` for every edge platform.
//
//   - hello: prints its GOOS/GOARCH and serves it over HTTP.
//   - echo: upstream's TCP line protocol, echoing every event to its sender.
//   - broker: an MQTT broker (mochi-mqtt) with a health check.
//   - sensor: publishes readings to sensor/<id>/<type> with upstream's
//     JSON payload, reconnecting when the broker goes away.
//   - gateway: subscribes to sensor/#, aggregates per sensor, publishes the
//     aggregates and serves them over HTTP with a health check.
//
// python/refnode.py is no image: a sensor and gateway node server written
// the way upstream xEdgeSim's Python reference nodes are, which
// scenarios/upstream_nodes.yaml starts as process nodes (config.command).
// Tests and the bench compare its CSV files with the built-in models'.
package nodes
