package shape

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"golang.org/x/sys/unix"
)

// tableName is the nftables table of a helper in its node's namespace.
const tableName = "xedgesim_shape"

// rules owns the helper's nftables table.
type rules struct {
	conn  *nftables.Conn
	table *nftables.Table
	chain *nftables.Chain
	// out holds what the node sends to in-process peers (Peer.Out).
	out   *nftables.Chain
	queue uint16
	gone  bool
}

// installRules creates the table with a prerouting chain that queues
// nothing yet; setPeers fills it. Packets are held where they arrive, not
// where they leave: a packet held on its way out still counts against its
// TCP socket's small-queue budget, so a 50 ms hold there slows a TCP
// sender far beyond 50 ms; arriving through the veth it belongs to no
// socket any more (netem orphans what it holds for the same reason).
func installRules(queue uint16) (*rules, error) {
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("opening nftables: %w", err)
	}
	r := &rules{conn: conn, queue: queue, table: &nftables.Table{Family: nftables.TableFamilyIPv4, Name: tableName}}
	// A table a killed helper left is replaced.
	r.conn.DelTable(r.table)
	_ = r.conn.Flush()
	r.conn.AddTable(r.table)
	policy := nftables.ChainPolicyAccept
	r.chain = r.conn.AddChain(&nftables.Chain{
		Name:     "ingress",
		Table:    r.table,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookPrerouting,
		Priority: nftables.ChainPriorityFilter,
		Policy:   &policy,
	})
	r.out = r.conn.AddChain(&nftables.Chain{
		Name:     "egress",
		Table:    r.table,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookOutput,
		Priority: nftables.ChainPriorityFilter,
		Policy:   &policy,
	})
	if err := r.conn.Flush(); err != nil {
		return nil, fmt.Errorf("creating the nftables table %s: %w", tableName, err)
	}
	return r, nil
}

// match is what a peer's packets look like: from addr (to addr, out),
// and with ports, from (to) one of them.
type match struct {
	addr  [4]byte
	ports *Ports
	out   bool
}

// setPeers replaces the rules: packets from each match (to it, out) go
// to the queue. Without the bypass flag, packets queued while no helper
// listens are dropped: a shaped link never turns perfect behind the run's
// back.
func (r *rules) setPeers(ms []match) error {
	r.conn.FlushChain(r.chain)
	r.conn.FlushChain(r.out)
	for _, m := range ms {
		chain, addrOff, portOff := r.chain, uint32(12), uint32(0)
		if m.out {
			chain, addrOff, portOff = r.out, 16, 2
		}
		addr := []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: addrOff, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: m.addr[:]},
		}
		if m.ports == nil {
			r.conn.AddRule(&nftables.Rule{Table: r.table, Chain: chain, Exprs: append(addr, nfqueueTarget(r.queue))})
			continue
		}
		// The same rule for TCP and UDP: their ports sit at the same
		// offsets.
		for _, proto := range []byte{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
			exprs := append(slices.Clone(addr),
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: portOff, Len: 2},
				&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: binary.BigEndian.AppendUint16(nil, m.ports.From), ToData: binary.BigEndian.AppendUint16(nil, m.ports.To)},
				nfqueueTarget(r.queue))
			r.conn.AddRule(&nftables.Rule{Table: r.table, Chain: chain, Exprs: exprs})
		}
	}
	if err := r.conn.Flush(); err != nil {
		return fmt.Errorf("writing the nftables rules: %w", err)
	}
	return nil
}

// nfqueueTarget queues to num through the xtables NFQUEUE target (nft's
// compat layer), not nft's own queue expression: kernels built without
// CONFIG_NFT_QUEUE (the project's test machines) have it, and so do those
// with it. Its info is struct xt_NFQ_info_v1: queue number and count, in
// the host's byte order.
func nfqueueTarget(num uint16) *expr.Target {
	info := make(xt.Unknown, 4)
	binary.NativeEndian.PutUint16(info, num)
	binary.NativeEndian.PutUint16(info[2:], 1)
	return &expr.Target{Name: "NFQUEUE", Rev: 1, Info: &info}
}

// remove deletes the table, once.
func (r *rules) remove() error {
	if r.gone {
		return nil
	}
	r.gone = true
	r.conn.DelTable(r.table)
	if err := r.conn.Flush(); err != nil && err != unix.ENOENT {
		return fmt.Errorf("removing the nftables table %s: %w", tableName, err)
	}
	return nil
}
