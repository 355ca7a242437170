package shape

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The NFQUEUE protocol (linux/netfilter/nfnetlink_queue.h): the few
// messages a user-space queue needs.
const (
	nfqMsgPacket  = 0
	nfqMsgVerdict = 1
	nfqMsgConfig  = 2

	nfqaPacketHdr  = 1
	nfqaVerdictHdr = 2
	nfqaPayload    = 10

	nfqaCfgCmd      = 1
	nfqaCfgParams   = 2
	nfqaCfgQueueMax = 3

	nfqCmdBind    = 1
	nfqCopyPacket = 2

	nfDrop   = 0
	nfAccept = 1

	// copyRange is enough of a packet for its IPv4 header (options
	// included) and its ports.
	copyRange = 64
	// queueMax is how many packets the kernel holds waiting for verdicts.
	queueMax = 8192
)

// queue is a bound NFQUEUE.
type queue struct {
	conn *netlink.Conn
	num  uint16
}

// The netfilter hooks a queued packet comes from.
const hookLocalOut = 3

// packet is one queued packet: its id, addresses, ports (0 for other
// protocols), IP length, and whether the node sends it (out) or receives
// it.
type packet struct {
	id           uint32
	src, dst     [4]byte
	sport, dport uint16
	out          bool
	size         int
	// at is when it was read from the queue: its fate follows that time,
	// not when the shaping loop gets to it.
	at time.Time
}

func msgType(t uint16) netlink.HeaderType {
	return netlink.HeaderType(unix.NFNL_SUBSYS_QUEUE<<8 | t)
}

// nfgen is the nfgenmsg header every message starts with.
func nfgen(num uint16) []byte {
	b := []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], num)
	return b
}

// openQueue binds queue num in the current network namespace.
func openQueue(num uint16) (*queue, error) {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	q := &queue{conn: conn, num: num}
	// A burst of packets must not overflow the socket: a lost message is a
	// packet stuck in the kernel's queue.
	_ = conn.SetReadBuffer(8 << 20)
	_ = conn.SetOption(netlink.NoENOBUFS, true)

	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Bytes(nfqaCfgCmd, []byte{nfqCmdBind, 0, 0, 0})
	if err := q.config(ae); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("binding NFQUEUE %d: %w", num, err)
	}
	ae = netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	params := make([]byte, 5)
	binary.BigEndian.PutUint32(params, copyRange)
	params[4] = nfqCopyPacket
	ae.Bytes(nfqaCfgParams, params)
	ae.Uint32(nfqaCfgQueueMax, queueMax)
	if err := q.config(ae); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("configuring NFQUEUE %d: %w", num, err)
	}
	return q, nil
}

func (q *queue) config(ae *netlink.AttributeEncoder) error {
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = q.conn.Execute(netlink.Message{
		Header: netlink.Header{Type: msgType(nfqMsgConfig), Flags: netlink.Request | netlink.Acknowledge},
		Data:   append(nfgen(q.num), attrs...),
	})
	return err
}

// receive returns the next queued packets.
func (q *queue) receive() ([]packet, error) {
	msgs, err := q.conn.Receive()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []packet
	for _, m := range msgs {
		if m.Header.Type != msgType(nfqMsgPacket) || len(m.Data) < 4 {
			continue
		}
		p, err := parsePacket(m.Data[4:])
		if err != nil {
			return nil, err
		}
		p.at = now
		out = append(out, p)
	}
	return out, nil
}

func parsePacket(b []byte) (packet, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return packet{}, fmt.Errorf("reading a queued packet: %w", err)
	}
	var p packet
	var hdr, payload bool
	for ad.Next() {
		switch ad.Type() {
		case nfqaPacketHdr:
			d := ad.Bytes()
			if len(d) >= 4 {
				p.id, hdr = binary.BigEndian.Uint32(d), true
			}
			// struct nfqnl_msg_packet_hdr: id, hw_protocol, hook.
			p.out = len(d) >= 7 && d[6] == hookLocalOut
		case nfqaPayload:
			d := ad.Bytes()
			if len(d) >= 20 && d[0]>>4 == 4 {
				p.size = int(binary.BigEndian.Uint16(d[2:4]))
				copy(p.src[:], d[12:16])
				copy(p.dst[:], d[16:20])
				ihl := int(d[0]&0xf) * 4
				// Ports of TCP and UDP, in a first fragment only.
				first := binary.BigEndian.Uint16(d[6:8])&0x1fff == 0
				if (d[9] == unix.IPPROTO_TCP || d[9] == unix.IPPROTO_UDP) && first && ihl >= 20 && len(d) >= ihl+4 {
					p.sport = binary.BigEndian.Uint16(d[ihl:])
					p.dport = binary.BigEndian.Uint16(d[ihl+2:])
				}
				payload = true
			}
		}
	}
	if err := ad.Err(); err != nil {
		return packet{}, fmt.Errorf("reading a queued packet: %w", err)
	}
	if !hdr {
		return packet{}, errors.New("reading a queued packet: no packet header")
	}
	if !payload {
		// Not IPv4 (the rules queue only IPv4): let it through unchanged.
		p.size = -1
	}
	return p, nil
}

// verdict accepts or drops packet id.
func (q *queue) verdict(id uint32, accept bool) error {
	v := make([]byte, 8)
	if accept {
		binary.BigEndian.PutUint32(v, nfAccept)
	} else {
		binary.BigEndian.PutUint32(v, nfDrop)
	}
	binary.BigEndian.PutUint32(v[4:], id)
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(nfqaVerdictHdr, v)
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = q.conn.Send(netlink.Message{
		Header: netlink.Header{Type: msgType(nfqMsgVerdict), Flags: netlink.Request},
		Data:   append(nfgen(q.num), attrs...),
	})
	return err
}

func (q *queue) close() error { return q.conn.Close() }
