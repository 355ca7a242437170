package container

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// A run's containers without docker.network share a bridge network of the
// run, xedgesim-<run id>, where each answers to its node id: a sensor
// container reaches the broker container as mqtt-broker:1883.

func runNetworkName(runID string) string { return "xedgesim-" + runID }

// joinNetwork creates the run's network name if no container of the run
// did, labelled with labels, and returns its name. The runtime removes it
// on Close when this run created it.
func (r *Runtime) joinNetwork(ctx context.Context, cli *client.Client, name string, labels map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.network == name {
		return name, nil
	}
	if _, err := cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
		return name, nil
	}
	_, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "already exists") {
		return "", fmt.Errorf("node %q: creating the run's network %s: %w", labels[LabelNode], name, err)
	}
	r.network = name
	return name, nil
}

// removeNetwork removes the network a run created.
func removeNetwork(ctx context.Context, cli *client.Client, name string) error {
	if _, err := cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil && !isNotFoundAny(err) {
		return fmt.Errorf("removing the run's network %s: %w", name, err)
	}
	return nil
}

// removeOrphanNetworks removes the networks of runs whose runner is gone.
func removeOrphanNetworks(ctx context.Context, cli *client.Client, gone func(map[string]string) bool) error {
	list, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", LabelRun)})
	if err != nil {
		return fmt.Errorf("listing leftover networks: %w", err)
	}
	for _, n := range list.Items {
		if !gone(n.Labels) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !isNotFoundAny(err) {
			return fmt.Errorf("removing leftover network %s of run %s: %w", n.Name, n.Labels[LabelRun], err)
		}
	}
	return nil
}

func isNotFoundAny(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "not found") || strings.Contains(s, "no such")
}
