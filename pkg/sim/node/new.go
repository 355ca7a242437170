package node

import (
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// Model names accepted in a node's config.model.
const (
	ModelSensor  = "sensor"
	ModelGateway = "gateway"
	ModelSink    = "sink"
	ModelProcess = "process"
)

// UnsupportedError means the scenario asks for a node kind this build cannot
// run. It is a runtime error (exit 1), not a mistake in the file.
type UnsupportedError struct {
	Pos    scenario.Pos
	NodeID string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s:%d:%d: node %q: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.NodeID, e.Reason)
}

// ModelOf returns the model that runs n: config.model when set, a process
// when the node has a command, an address or implementation: process, and
// otherwise the built-in model its type names (a broker or mqtt_broker
// python_model node is an embedded MQTT broker; upstream starts
// sensor_node.py or gateway_node.py by hand for these).
func ModelOf(n scenario.Node) string {
	if m, ok := n.Config["model"].(string); ok && m != "" {
		return m
	}
	if n.Implementation == scenario.ImplProcess {
		return ModelProcess
	}
	if _, ok := n.Config["command"]; ok {
		return ModelProcess
	}
	if _, ok := n.Config["address"]; ok {
		return ModelProcess
	}
	if (n.Implementation == scenario.ImplPythonModel || n.Implementation == "") && IsBrokerType(n.Type) {
		return ModelMQTTBroker
	}
	t := strings.ToLower(n.Type)
	switch {
	case strings.Contains(t, "sensor"):
		return ModelSensor
	case strings.Contains(t, "gateway"):
		return ModelGateway
	}
	return ModelSink
}

// New builds the node for a scenario entry. Warnings say where the result
// differs from what the file may lead a reader to expect. Docker nodes are
// rt's to make; with rt nil they fail with ErrNoRuntime.
func New(n scenario.Node, sum SumMode, rt Runtime) (Node, []scenario.Diagnostic, error) {
	switch n.Implementation {
	case scenario.ImplDocker:
		if rt == nil {
			return nil, nil, fmt.Errorf("%s:%d:%d: node %q: %w", n.Pos.File, n.Pos.Line, n.Pos.Col, n.ID, ErrNoRuntime)
		}
		d, err := rt.Node(n)
		return d, nil, err
	case scenario.ImplRenode:
		return nil, nil, &UnsupportedError{Pos: n.Pos, NodeID: n.ID, Reason: "renode_inprocess nodes need Renode and firmware, which xedgesim does not run; replace the node with a process node (config.command) that speaks the node protocol"}
	}
	var warns []scenario.Diagnostic
	switch m := ModelOf(n); m {
	case ModelSensor:
		s, err := NewSensor(n)
		return s, nil, err
	case ModelGateway:
		g, err := NewGateway(n, sum)
		return g, nil, err
	case ModelMQTTBroker:
		return newBrokerNode(n), nil, nil
	case ModelProcess:
		p, err := NewProcess(n)
		return p, nil, err
	case ModelSink:
		if _, explicit := n.Config["model"]; !explicit {
			warns = append(warns, scenario.Diagnostic{Pos: n.Pos, Severity: scenario.SeverityWarning, Key: "type",
				Message: fmt.Sprintf("node %q: no built-in model for type %q; it receives and counts messages only", n.ID, n.Type),
				Hint:    "set config.model, or config.command to run your own node"})
		}
		return NewSink(n.ID), warns, nil
	default:
		pos := n.Pos
		if p, ok := n.ConfigPos["model"]; ok {
			pos = p
		}
		return nil, nil, &ConfigError{Pos: pos, NodeID: n.ID, Key: "model", Message: fmt.Sprintf("unknown model %q; use sensor, gateway, sink, mqtt_broker or process", m)}
	}
}
