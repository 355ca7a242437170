// Package shape makes a scenario's links act on the real packets of a
// container node: latency, jitter, loss and bandwidth (with queueing), and
// the link_down, link_degrade and partition faults at their time.
//
// It runs inside the node's network namespace, in a helper container that
// shares it with NET_ADMIN (the runtime in pkg/sim/container starts it from
// the xedgesim binary's hidden __netshape verb). nftables rules send what
// the node receives from each peer to an NFQUEUE that this package serves
// (the link src -> dst is shaped where dst receives it): a
// packet's verdict waits for its latency, jitter and its turn on the link's
// bandwidth, and a lost packet or one sent while the link is down is
// dropped. The mechanism needs no sch_netem, so it works on kernels without
// it (as the project's test machines) and on GitHub-hosted runners alike.
// Packets queued while no helper listens are dropped, never let through:
// a shaped link never silently turns perfect.
package shape
