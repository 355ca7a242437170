// Module ociregistry is the test bed's registry with the OCI 1.1 referrers
// API: go-containerregistry's own registry, at the version the main module
// uses, as a small server scripts/testbed builds and starts.
module github.com/xedgesim/simulate/tools/ociregistry

go 1.26.0

require github.com/google/go-containerregistry v0.22.1
