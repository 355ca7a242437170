package node

import (
	"context"
	"math"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// A sensor group's devices (scenario.Node.Count) share one SensorGroup and
// keep only their own state: an id, a 64-bit RNG, the next sample time and
// three counters, about 100 bytes a device against 2.5 KiB for upstream's
// Mersenne Twister. Upstream has no groups, so there is no upstream stream
// to reproduce; each device's readings are still a pure function of the
// scenario seed and its id.

// SensorGroup is what the devices of a sensor group share: the config
// section, read once.
type SensorGroup struct {
	tmpl *Sensor
	// jitter spreads each device's first sample over [start, start+jitter)
	// from its own RNG, so a million devices do not all report in the same
	// quantum.
	jitter int64
	devs   []GroupSensor
}

// NewSensorGroup reads a sensor group's config. Besides the sensor's keys
// it reads start_jitter_s.
func NewSensorGroup(n scenario.Node) (*SensorGroup, error) {
	c := newConfig(n)
	s := readSensor(c)
	g := &SensorGroup{tmpl: s, jitter: c.micros("start_jitter_s", 0, 0)}
	if err := c.err(); err != nil {
		return nil, err
	}
	return g, nil
}

// Dst returns the node the group's devices send to.
func (g *SensorGroup) Dst() string { return g.tmpl.dst }

// Device returns the device with the given id.
func (g *SensorGroup) Device(id string) *GroupSensor {
	return &GroupSensor{g: g, id: id}
}

// Devices returns the group's devices with the given ids, in one slice
// the group keeps (Members).
func (g *SensorGroup) Devices(ids []string) []GroupSensor {
	g.devs = make([]GroupSensor, len(ids))
	for i, id := range ids {
		g.devs[i] = GroupSensor{g: g, id: id}
	}
	return g.devs
}

// Members returns the slice Devices made; the kernel may reorder it, and
// then points its nodes at the new places.
func (g *SensorGroup) Members() []GroupSensor { return g.devs }

// GroupSensor is one device of a sensor group: upstream's sensor model
// (gauss readings every interval, each a TRANSMIT to dst) with a compact
// RNG.
type GroupSensor struct {
	g        *SensorGroup
	id       string
	rng      splitmix
	gauss    float64
	hasGauss bool
	schedule
	sent     int64
	received int64
}

var (
	_ Node    = (*GroupSensor)(nil)
	_ Crasher = (*GroupSensor)(nil)
)

// ID implements Node.
func (s *GroupSensor) ID() string { return s.id }

// Start implements Node. The device's RNG is seeded from the scenario seed
// and its id.
func (s *GroupSensor) Start(_ context.Context, env Env) error {
	s.rng = newSplitmix(env.Seed, s.id)
	s.next = s.g.tmpl.start
	if s.g.jitter > 0 {
		s.next += int64(s.rng.float() * float64(s.g.jitter))
	}
	s.downAt = Never
	return nil
}

// Advance implements Node.
func (s *GroupSensor) Advance(_ context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	if len(in) > 0 { // a cohort's generator advances devices the kernel delivers to
		s.received += int64(len(in))
	}
	t := s.g.tmpl
	for s.next < target && s.next < s.downAt {
		s.sent++
		out = append(out, event.Event{
			TimeUS:     s.next,
			Type:       typeTransmit,
			Src:        s.id,
			Dst:        t.dst,
			SizeBytes:  t.payloadBytes,
			Value:      s.normal(t.mean, t.stddev),
			Unit:       t.unit,
			Seq:        s.sent,
			HasReading: true,
		})
		s.next += t.interval
	}
	return out, nil
}

// normal draws from gauss(mu, sigma) as Python's random.gauss does
// (Box-Muller, the second value kept for the next call), on the device's
// own generator.
func (s *GroupSensor) normal(mu, sigma float64) float64 {
	z := s.gauss
	if s.hasGauss {
		s.hasGauss = false
	} else {
		x2pi := s.rng.float() * 2 * math.Pi
		g2rad := math.Sqrt(-2 * math.Log(1-s.rng.float()))
		z = math.Cos(x2pi) * g2rad
		s.gauss, s.hasGauss = math.Sin(x2pi)*g2rad, true
	}
	return mu + z*sigma
}

// Restart implements Crasher.
func (s *GroupSensor) Restart(at int64) { s.restart(at, s.g.tmpl.interval) }

// Stats implements Node.
func (s *GroupSensor) Stats() Stats {
	return Stats{Model: ModelSensor, Events: s.sent, MessagesSent: s.sent, MessagesReceived: s.received}
}

// Close implements Node.
func (s *GroupSensor) Close() error { return nil }

// splitmix is SplitMix64: one word of state, full period, and output that
// passes BigCrush; ample for sensor noise.
type splitmix uint64

// newSplitmix seeds from the seed and the id (FNV-1a), so every device of
// every group has its own stream.
func newSplitmix(seed int64, id string) splitmix {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	r := splitmix(h ^ uint64(seed)*0x9e3779b97f4a7c15) // #nosec G115 -- the seed's bits, not its value, feed the hash
	r.next()
	return r
}

func (r *splitmix) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// float is in [0, 1) with 53 random bits, as Python's random().
func (r *splitmix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// Interval returns the time between a device's samples.
func (g *SensorGroup) Interval() int64 { return g.tmpl.interval }

// Group returns the group the device belongs to.
func (s *GroupSensor) Group() *SensorGroup { return s.g }

// ID returns the group's id, the template its devices' ids come from.
func (g *SensorGroup) ID() string { return g.tmpl.id }

// SensorType implements Publisher: the group's.
func (s *GroupSensor) SensorType() string { return s.g.tmpl.sensorType }

// MQTT implements Publisher: the group's config.mqtt.
func (s *GroupSensor) MQTT() SensorMQTT { return s.g.tmpl.mqtt }

// HTTP implements Publisher: the group's config.http.
func (s *GroupSensor) HTTP() *SensorHTTP { return s.g.tmpl.http }

// At returns the time of the device's next sample, crashed or not. A
// device's samples keep their phase: At changes by whole intervals only
// (a restart skips the samples that fell while down), so the kernel can
// place a device by At once.
func (s *GroupSensor) At() int64 { return s.next }

// Receive counts n messages delivered to the device, which a sensor
// ignores (Advance without its samples).
func (s *GroupSensor) Receive(n int) { s.received += int64(n) }
