// Package fanout runs independent round trips, several at once, and stops
// at the first failure: a push's reads and uploads, a host's image
// inspects. Standard library only.
package fanout
