package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// A run's containers without docker.network share a bridge network of the
// run, xedgesim-<run id>, where each answers to its node id: a sensor
// container reaches the broker container as mqtt-broker:1883.

func runNetworkName(runID string) string { return "xedgesim-" + runID }

// joinRunNetwork creates the run's network if no container of the run did,
// and returns its name.
func (d *Docker) joinRunNetwork(ctx context.Context) (string, error) {
	name := runNetworkName(d.runID)
	if _, err := d.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
		return name, nil
	}
	_, err := d.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: d.labels()})
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "already exists") {
		return "", fmt.Errorf("node %q: creating the run's network %s: %w", d.id, name, err)
	}
	d.network = name
	return name, nil
}

// RunNetwork returns the network the node created for the run, which the
// run removes after its containers; "" if none.
func (d *Docker) RunNetwork() string { return d.network }

// RemoveNetworks removes the networks a run created.
func RemoveNetworks(names []string) error {
	if len(names) == 0 {
		return nil
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, n := range names {
		if _, err := cli.NetworkRemove(ctx, n, client.NetworkRemoveOptions{}); err != nil && !isNotFoundAny(err) {
			errs = append(errs, fmt.Errorf("removing the run's network %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
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
