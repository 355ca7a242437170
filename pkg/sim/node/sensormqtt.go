package node

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// SensorMQTT is how a built-in sensor's readings look on an MQTT broker
// (config.mqtt), so that they reach an app in its own terms. Topic and
// Payload are templates of {id}, {seq}, {value}, {time_us}, {time_ms} and
// {type}; an empty Payload is the default JSON reading.
type SensorMQTT struct {
	Topic   string
	Payload string
	QoS     byte
	Retain  bool
	// Custom is set when config.mqtt changed the topic or the payload: the
	// built-in gateways (subscribed to sensor/#) may not see the readings.
	Custom bool
}

// DefaultSensorTopic is the topic of a sensor's readings without
// config.mqtt.topic.
const DefaultSensorTopic = "sensor/{id}/{type}"

var placeholder = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{[^{}]*\}`) })

var templateVars = map[string]bool{"{id}": true, "{seq}": true, "{value}": true, "{time_us}": true, "{time_ms}": true, "{type}": true}

// readSensorMQTT reads config.mqtt: {topic, payload, qos, retain}.
func readSensorMQTT(c *config, sensorType string) SensorMQTT {
	m := SensorMQTT{Topic: DefaultSensorTopic}
	v, ok := c.value("mqtt")
	if !ok {
		return m
	}
	mm, isMap := v.(map[string]any)
	if !isMap {
		c.fail("mqtt", "must be a mapping: {topic: \"devices/{id}/telemetry\", payload: '{\"seq\": {seq}}', qos: 1, retain: false}")
		return m
	}
	keys := make([]string, 0, len(mm))
	for k := range mm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := mm[k]
		switch k {
		case "topic", "payload":
			s, ok := c.template("mqtt", k, val, k == "topic")
			if !ok {
				continue
			}
			if k == "topic" {
				if strings.ContainsAny(s, "+#") {
					c.fail("mqtt", "topic %q: a topic to publish on has no wildcards", s)
				}
				m.Topic = s
			} else {
				m.Payload = s
			}
			m.Custom = true
		case "qos":
			q, isNum := yamldiag.Number(val)
			if !isNum || (q != 0 && q != 1 && q != 2) {
				c.fail("mqtt", "qos must be 0, 1 or 2, got %v", val)
				continue
			}
			m.QoS = byte(q)
		case "retain":
			b, isBool := val.(bool)
			if !isBool {
				c.fail("mqtt", "retain must be true or false, got %v", val)
				continue
			}
			m.Retain = b
		default:
			c.fail("mqtt", "unknown key %q; use topic, payload, qos and retain", k)
		}
	}
	return m
}

// MQTT returns how the sensor publishes its readings.
func (s *Sensor) MQTT() SensorMQTT { return s.mqtt }

// Publisher is a built-in sensor whose readings the run also sends to the
// scenario's MQTT broker or, with config.http, to an app: a single sensor
// or a device of a group.
type Publisher interface {
	Node
	SensorType() string
	MQTT() SensorMQTT
	HTTP() *SensorHTTP
}

var (
	_ Publisher = (*Sensor)(nil)
	_ Publisher = (*GroupSensor)(nil)
)

// Render fills a template of SensorMQTT with one reading.
func Render(tmpl, id, sensorType string, seq int64, value float64, timeUS int64) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	return strings.NewReplacer(
		"{id}", id,
		"{type}", sensorType,
		"{seq}", strconv.FormatInt(seq, 10),
		"{value}", strconv.FormatFloat(value, 'f', -1, 64),
		"{time_us}", strconv.FormatInt(timeUS, 10),
		"{time_ms}", strconv.FormatInt(timeUS/1000, 10),
	).Replace(tmpl)
}

// template reads a reading template (an MQTT topic or payload, an HTTP
// URL or body) under section's key: a string, non-empty when required,
// whose placeholders are the ones a reading fills in.
func (c *config) template(section, key string, v any, required bool) (string, bool) {
	s, isStr := v.(string)
	if !isStr || s == "" && required {
		c.fail(section, "%s must be a non-empty string", key)
		return "", false
	}
	for _, p := range placeholder().FindAllString(s, -1) {
		if !templateVars[p] {
			c.fail(section, "%s: unknown placeholder %s; use {id}, {seq}, {value}, {time_us}, {time_ms} or {type}", key, p)
		}
	}
	return s, true
}
