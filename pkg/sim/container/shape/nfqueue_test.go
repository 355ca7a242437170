package shape

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
)

// TestParsePacket reads a queued packet's addresses, ports and hook, as
// the kernel sends them: an IPv4 header with options, then TCP.
func TestParsePacket(t *testing.T) {
	t.Parallel()
	ip := make([]byte, 24+4)
	ip[0] = 0x46 // IPv4, 24-byte header
	binary.BigEndian.PutUint16(ip[2:], 60)
	ip[9] = 6
	copy(ip[12:], []byte{172, 18, 0, 1})
	copy(ip[16:], []byte{172, 18, 0, 2})
	binary.BigEndian.PutUint16(ip[24:], 20005)
	binary.BigEndian.PutUint16(ip[26:], 1883)
	hdr := []byte{0, 0, 0, 42, 8, 0, hookLocalOut}
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(nfqaPacketHdr, hdr)
	ae.Bytes(nfqaPayload, ip)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parsePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	want := packet{id: 42, src: [4]byte{172, 18, 0, 1}, dst: [4]byte{172, 18, 0, 2}, sport: 20005, dport: 1883, out: true, size: 60}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(packet{})); d != "" {
		t.Errorf("parsePacket() mismatch (-want +got):\n%s", d)
	}
}
