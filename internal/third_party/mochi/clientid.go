// SPDX-License-Identifier: MIT

package mqtt

import (
	"crypto/rand"
	"encoding/hex"
)

// newClientID returns an identifier for a client that connected with an
// empty one: 20 hex digits from crypto/rand. Upstream uses rs/xid, whose
// package init reads the machine id and hostname on every start of every
// program that links it.
func newClientID() string {
	var b [10]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
