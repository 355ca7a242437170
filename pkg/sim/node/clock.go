package node

import (
	"context"
	"time"
)

// ClockStarter is a Runtime whose nodes act on the wall clock of the run's
// timeline (a container's link faults, shaped on its real traffic). A run
// paced to the wall clock asks it, once every node is up and just before
// the clock starts, where virtual time zero falls on the wall clock: the
// runtime may pick a moment slightly ahead, so that what it runs knows the
// zero before the first fault is due, and the run's clock then starts
// there.
type ClockStarter interface {
	StartClock(ctx context.Context) (time.Time, error)
}

// WallClockNeeder is a Runtime whose nodes act on the wall clock even when
// they run in lockstep: a container's link faults, applied to its real
// packets by a helper at their time. A run whose runtime needs the wall
// clock is paced to it, so that virtual time and the helpers' clock agree;
// fault is the index, in the scenario's faults, of the first that needs
// it, for the run's note.
type WallClockNeeder interface {
	NeedsWallClock() (fault int, ok bool)
}
