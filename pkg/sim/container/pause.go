package container

import (
	"context"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

var _ node.Pauser = (*Node)(nil)

// Pause implements node.Pauser: node_pause freezes the container (docker
// pause), as a device that hangs; its connections stay open and time out.
func (d *Node) Pause(int64) { d.setPaused(true) }

// Unpause implements node.Pauser.
func (d *Node) Unpause(int64) { d.setPaused(false) }

func (d *Node) setPaused(on bool) {
	if d.cli == nil || d.cid == "" || d.paused == on {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if on {
		err = d.cli.ContainerPause(ctx, d.cid)
	} else {
		err = d.cli.ContainerUnpause(ctx, d.cid)
	}
	if err != nil {
		if d.pauseErr == nil {
			d.pauseErr = d.errorf("node_pause: %w", err)
		}
		return
	}
	d.paused = on
	if on {
		d.rt.nodeFaultApplied(d.id, scenario.FaultNodePause)
	} else {
		d.rt.nodeFaultLifted(d.id, scenario.FaultNodePause)
	}
}
