package container

import (
	"context"
	"errors"
	"fmt"

	"github.com/xedgesim/simulate/internal/engine"
)

// A run's containers without docker.network share a bridge network of the
// run, xedgesim-<run id>, where each answers to its node id: a sensor
// container reaches the broker container as mqtt-broker:1883.

func runNetworkName(runID string) string { return "xedgesim-" + runID }

// joinNetwork creates the run's network name if no container of the run
// did, labelled with labels, and returns its name. The runtime removes it
// on Close when this run created it.
func (r *Runtime) joinNetwork(ctx context.Context, cli *engine.Client, name string, labels map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.network == name {
		return name, nil
	}
	if _, err := cli.NetworkInspect(ctx, name); err == nil {
		return name, nil
	}
	_, err := cli.NetworkCreate(ctx, name, "bridge", labels)
	if err != nil && !errors.Is(err, engine.ErrConflict) {
		return "", fmt.Errorf("node %q: creating the run's network %s: %w", labels[LabelNode], name, err)
	}
	r.network = name
	return name, nil
}

// removeNetwork removes the network a run created.
func removeNetwork(ctx context.Context, cli *engine.Client, name string) error {
	if err := cli.NetworkRemove(ctx, name); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("removing the run's network %s: %w", name, err)
	}
	return nil
}

// removeOrphanNetworks removes the networks of runs whose runner is gone.
func removeOrphanNetworks(ctx context.Context, cli *engine.Client, gone func(map[string]string) bool) error {
	list, err := cli.NetworkList(ctx, LabelRun)
	if err != nil {
		return fmt.Errorf("listing leftover networks: %w", err)
	}
	for _, n := range list {
		if !gone(n.Labels) {
			continue
		}
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("removing leftover network %s of run %s: %w", n.Name, n.Labels[LabelRun], err)
		}
	}
	return nil
}
