package node

// schedule is the clock of a device that samples at a fixed interval: the
// next sample's time and, while crashed, when it went down. Sensor and
// GroupSensor embed it, so a crash and a restart mean the same for both.
type schedule struct {
	next   int64
	downAt int64 // Never while up
}

// Next implements Node: no wake-up while down.
func (s *schedule) Next() int64 {
	if s.downAt != Never {
		return Never
	}
	return s.next
}

// Crash implements Crasher: no sample at or after at.
func (s *schedule) Crash(at int64) { s.downAt = at }

// restart resumes sampling on the original schedule; the samples that
// fell while down are skipped.
func (s *schedule) restart(at, interval int64) {
	s.downAt = Never
	if s.next < at {
		s.next += (at - s.next + interval - 1) / interval * interval
	}
}
