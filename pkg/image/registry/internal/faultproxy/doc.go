// Package faultproxy is a reverse proxy for tests that stands in front of a
// registry, injects faults into chosen requests (dropped connections, 429
// with Retry-After, 503, GitHub's 403 secondary rate limit, truncated
// bodies) and counts what goes through it: blob uploads, mounts, manifest
// writes and bytes sent.
package faultproxy
