package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/deploy"
)

const undeployLong = `Undeploy removes the manifest's service from the hosts named with --host
(or every host of the manifest with --all-hosts), and what deploy left for
it: its containers (a killed deploy's too), the images deploy sent or
pulled for it that nothing else on the host uses, its files and their
stored versions, and with strategy compose the project and its compose
files, with strategy native the program, its supervisor section and its
releases. A host without the service is no error. Host keys are checked as
deploy checks them.

Exit codes: 0 removed (or nothing was there), 1 a host could not be
reached or a removal failed, 3 invalid manifest or flags, or an unknown or
changed host key.`

// undeployRequest is what undeploy was asked.
type undeployRequest struct {
	file, knownHostsFile, report string
	hosts                        []string
	allHosts                     bool
}

func newUndeploy() *cobra.Command {
	var r undeployRequest
	cmd := &cobra.Command{
		Use:   "undeploy -f deploy.yaml (--host NAME... | --all-hosts)",
		Short: "Remove a deployed service and what it left from edge devices",
		Long:  undeployLong,
		Example: `  xedgesim undeploy -f deploy.yaml --host edge1
  xedgesim undeploy -f deploy.yaml --all-hosts --report undeploy-report.json`,
		Args: noArgs("undeploy"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(r.hosts) == 0 && !r.allHosts {
				return usageError("undeploy needs --host NAME (repeatable) or --all-hosts: it removes the service from the hosts")
			}
			if len(r.hosts) > 0 && r.allHosts {
				return usageError("undeploy takes --host or --all-hosts, not both")
			}
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			load := deployRequest{file: r.file, knownHostsFile: r.knownHostsFile}
			m, err := load.load(u, "undeploy")
			if err != nil {
				return err
			}
			reps, err := deploy.Undeploy(cmd.Context(), m, deploy.WithHosts(r.hosts...), deploy.WithProgress(newDeployProgress(cmd.ErrOrStderr())))
			if len(reps) == 0 {
				return err
			}
			printUndeploy(cmd.OutOrStdout(), m.Service.Name, reps)
			if r.report != "" {
				if werr := writeJSON(r.report, "undeploy", reps); werr != nil {
					return errors.Join(err, werr)
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&r.file, "file", "f", "", "the deploy manifest (deploy.yaml)")
	fl.StringArrayVar(&r.hosts, "host", nil, "remove the service from this host of the manifest (repeatable)")
	fl.BoolVar(&r.allHosts, "all-hosts", false, "remove the service from every host of the manifest")
	fl.StringVar(&r.knownHostsFile, "known-hosts", "", "known_hosts file (as ssh-keyscan writes it) for the hosts that name no known_hosts or fingerprint")
	fl.StringVar(&r.report, "report", "", "write the undeploy report (JSON) to this file")
	return cmd
}

func printUndeploy(w io.Writer, service string, reps []deploy.HostUndeploy) {
	fmt.Fprintf(w, "undeploy %s\n", service)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tREMOVED\tRESULT")
	for _, h := range reps {
		result := "ok"
		if h.Error != "" {
			result = "FAILED: " + strings.ReplaceAll(h.Error, "\n", " ")
		} else if len(h.Removed) == 0 {
			result = "ok (nothing was there)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", h.Host, len(h.Removed), result)
	}
	_ = tw.Flush() // output for the user, like deploy's table
	for _, h := range reps {
		for _, r := range h.Removed {
			fmt.Fprintf(w, "%s: removed %s\n", h.Host, r)
		}
	}
}
