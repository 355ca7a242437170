package node

import (
	"sort"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// launchKeys say how xedgesim starts and reaches a node, what upstream's
// user does by hand before starting its coordinator. They change no result,
// so upstream compatibility keeps them: without command an upstream file's
// Python nodes could not run at all.
var launchKeys = map[string]bool{
	"command": true, "address": true, "timeout_s": true, "connect_timeout_s": true,
	"env": true, "network_metadata": true, "protocol": true,
}

// namingKeys are read, but only name what upstream has no counterpart of:
// sensor_type names a sensor's MQTT topic, mqtt shapes its MQTT messages,
// http sends its readings to an app over HTTP, and upstream's coordinator
// carries neither.
var namingKeys = map[string]bool{"sensor_type": true, "mqtt": true, "http": true}

// AsUpstream returns n as upstream runs it: its config section dropped, as
// upstream's parser drops it, except for the keys that only start and reach
// a node (command, address, env, protocol, timeouts, network_metadata, and
// model: process, which says the same as implementation: process). A
// built-in model then has upstream's hard-coded behaviour, and a process
// node gets INIT {"seed": N} only. Docker and renode nodes are returned as
// they are: no config key of theirs is read.
func AsUpstream(n scenario.Node) scenario.Node {
	if len(n.Config) == 0 || !configured(n) {
		return n
	}
	cfg := map[string]any{}
	pos := map[string]scenario.Pos{}
	for k, v := range n.Config {
		if launchKeys[k] || k == "model" && v == ModelProcess {
			cfg[k] = v
			if p, ok := n.ConfigPos[k]; ok {
				pos[k] = p
			}
		}
	}
	n.Config, n.ConfigPos = cfg, pos
	return n
}

// UpstreamDifferences returns the keys of n's config that make the node
// behave otherwise than under upstream, which drops config: the keys its
// built-in model reads, every key a process node receives in INIT, and a
// model that is not the one the node's type picks. Keys that AsUpstream
// keeps, keys nothing reads and sensor_type (an MQTT topic name) are not
// among them. In file order.
func UpstreamDifferences(n scenario.Node) []string {
	if len(n.Config) == 0 || !configured(n) {
		return nil
	}
	kept := AsUpstream(n)
	var keys []string
	switch model := ModelOf(n); model {
	case ModelProcess:
		for k := range n.Config {
			if !processKeys[k] {
				keys = append(keys, k)
			}
		}
	default:
		c := newConfig(n)
		switch model {
		case ModelSensor:
			readSensor(c)
		case ModelGateway:
			readGateway(c, SumPlain)
		}
		for k := range c.used {
			if _, set := n.Config[k]; set && !namingKeys[k] {
				keys = append(keys, k)
			}
		}
	}
	if _, set := n.Config["model"]; set && ModelOf(n) != ModelOf(kept) {
		keys = append(keys, "model")
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := n.ConfigPos[keys[i]], n.ConfigPos[keys[j]]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return keys[i] < keys[j]
	})
	return keys
}

// configured tells whether n's config section is read at all: docker nodes
// take their settings from docker:, renode nodes from their own keys.
func configured(n scenario.Node) bool {
	return n.Implementation != scenario.ImplDocker && n.Implementation != scenario.ImplRenode
}
