package shape

import (
	"encoding/binary"
	"fmt"

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
	if err := r.conn.Flush(); err != nil {
		return nil, fmt.Errorf("creating the nftables table %s: %w", tableName, err)
	}
	return r, nil
}

// setPeers replaces the rules: packets from each address go to the queue.
// Without the bypass flag, packets queued while no helper listens are
// dropped: a shaped link never turns perfect behind the run's back.
func (r *rules) setPeers(addrs [][4]byte) error {
	r.conn.FlushChain(r.chain)
	for _, a := range addrs {
		r.conn.AddRule(&nftables.Rule{
			Table: r.table,
			Chain: r.chain,
			Exprs: []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a[:]},
				nfqueueTarget(r.queue),
			},
		})
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
