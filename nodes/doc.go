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
package nodes
