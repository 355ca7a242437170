package node

import (
	"context"
	"math"
	"strconv"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/internal/pyrand"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Sensor reproduces upstream's reference sensor model: a reading drawn from
// gauss(mean, stddev) every interval, starting at start, each sent to dst as
// a TRANSMIT event of payloadBytes. Its defaults are upstream's hard-coded
// values, so without a config section it is bit-for-bit upstream.
type Sensor struct {
	id           string
	dst          string
	start        int64
	interval     int64
	mean, stddev float64
	unit         string
	payloadBytes int
	sensorType   string

	rng *pyrand.Rand
	schedule
	stats Stats
	csv   *csvOut
	// mqtt is how the sensor's readings look on an MQTT broker.
	mqtt SensorMQTT
	// http, when set, sends each reading as an HTTP request (config.http).
	http *SensorHTTP
}

var _ Node = (*Sensor)(nil)

// NewSensor builds a sensor from a scenario node. Config keys (all
// optional): sample_rate_hz, start_s, dst, payload_bytes, sensor_type, mean,
// stddev, unit.
func NewSensor(n scenario.Node) (*Sensor, error) {
	c := newConfig(n)
	s := readSensor(c)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// readSensor reads the sensor's config keys, marking each used: the keys a
// sensor reads are those UpstreamDifferences names.
func readSensor(c *config) *Sensor {
	n := c.n
	s := &Sensor{
		id:           n.ID,
		dst:          c.str("dst", "gateway"),
		mean:         c.float("mean", 20.0, math.Inf(-1)),
		stddev:       c.float("stddev", 2.0, 0),
		unit:         c.str("unit", "C"),
		sensorType:   c.str("sensor_type", "temperature"),
		payloadBytes: int(c.floatIn("payload_bytes", 64, 0, MaxPayloadBytes)),
		start:        c.micros("start_s", 1.0, 0),
		interval:     1_000_000,
		stats:        Stats{Model: "sensor"},
	}
	s.mqtt = readSensorMQTT(c, s.sensorType)
	s.http = readSensorHTTP(c)
	if rate := c.float("sample_rate_hz", 1.0, 0); rate != 1.0 {
		if rate <= 0 {
			c.fail("sample_rate_hz", "must be > 0")
		} else if iv := math.Round(1e6 / rate); iv < 1 {
			c.fail("sample_rate_hz", "%g Hz is faster than one sample per microsecond", rate)
		} else if iv > MaxConfigUS {
			c.fail("sample_rate_hz", "%g Hz is slower than one sample in %g s", rate, MaxConfigUS/1e6)
		} else {
			s.interval = int64(iv)
		}
	}
	return s
}

// WritesCSV implements CSVWriter.
func (s *Sensor) WritesCSV() bool { return true }

// ID implements Node.
func (s *Sensor) ID() string { return s.id }

// Dst returns the node the sensor sends to.
func (s *Sensor) Dst() string { return s.dst }

// SensorType returns the configured sensor type (temperature by default).
func (s *Sensor) SensorType() string { return s.sensorType }

// Start implements Node. The RNG is seeded from sha256("<id>_<seed>") as
// upstream seeds it.
func (s *Sensor) Start(_ context.Context, env Env) error {
	s.rng = pyrand.New(pyrand.DerivedSeed(s.id, env.Seed))
	s.next = s.start
	s.downAt = Never
	if env.CSV != nil {
		s.csv = newCSVOut(env.CSV)
		s.csv.row("time_us", "event_type", "value")
	}
	return nil
}

// Advance implements Node. Incoming events are counted and ignored, as
// upstream's sensor ignores them.
func (s *Sensor) Advance(_ context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	s.stats.MessagesReceived += int64(len(in))
	for s.next < target && s.next < s.downAt {
		t := s.next
		temp := s.rng.Gauss(s.mean, s.stddev)
		s.stats.Events++
		s.stats.MessagesSent++
		n := s.stats.MessagesSent
		if s.csv != nil {
			ts := strconv.FormatInt(t, 10)
			s.csv.row(ts, "sample", pyfmt.Repr(temp))
			s.csv.row(ts, "transmit", strconv.FormatInt(n, 10))
		}
		s.next = t + s.interval
		out = append(out, event.Event{
			TimeUS:     t,
			Type:       "TRANSMIT",
			Src:        s.id,
			Dst:        s.dst,
			SizeBytes:  s.payloadBytes,
			Value:      temp,
			Unit:       s.unit,
			Seq:        n,
			HasReading: true,
		})
	}
	return out, nil
}

// Restart implements Crasher.
func (s *Sensor) Restart(at int64) { s.restart(at, s.interval) }

// Stats implements Node.
func (s *Sensor) Stats() Stats { return s.stats }

// Close implements Node.
func (s *Sensor) Close() error { return s.csv.flush() }
