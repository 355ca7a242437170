// Package registry moves images between layouts, tarballs, the Docker engine
// and registries by digest: whole indexes with every platform and
// attestation, blobs the registry has skipped or mounted, layers in parallel,
// and a verification of the registry's digest after every push. It promotes
// a digest only with passing simulation evidence (see package evidence).
//
// Every registry call goes through a [RetryTransport]: 408, 429, 5xx,
// GitHub's 403 secondary rate limit, resets and timeouts are retried with
// backoff and jitter, honouring Retry-After, within a bounded time, and each
// retry is reported to a [RetryReporter]. The package never prints.
package registry
