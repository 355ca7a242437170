package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
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
			reps, err := runUndeploy(cmd, u, m, r)
			return u.publish(undeployOutputs(reps, r), err)
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

// runUndeploy is undeploy, for the verb and the action alike: the table on
// stdout, the report and, in Actions, the step summary.
func runUndeploy(cmd *cobra.Command, u *ui, m *manifest.Manifest, r undeployRequest, opts ...deploy.Option) ([]deploy.HostUndeploy, error) {
	opts = append([]deploy.Option{deploy.WithHosts(r.hosts...), deploy.WithProgress(newDeployProgress(cmd.ErrOrStderr()))}, opts...)
	reps, err := deploy.Undeploy(cmd.Context(), m, opts...)
	if len(reps) == 0 {
		return nil, err
	}
	printUndeploy(cmd.OutOrStdout(), m.Service.Name, reps)
	werr := u.gha.AddStepSummary(undeploySummary(m.Service.Name, reps))
	if r.report != "" {
		werr = errors.Join(werr, writeJSON(r.report, "undeploy", reps))
	}
	if werr != nil {
		return reps, errors.Join(err, werr)
	}
	return reps, err
}

// undeploySummary is the step summary: one row per host.
func undeploySummary(service string, reps []deploy.HostUndeploy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim undeploy %s\n\n| host | removed | result |\n|---|---:|---|\n", service)
	for _, h := range reps {
		result := "ok"
		switch {
		case h.Error != "":
			// A table cell: one line, no column break.
			result = "failed: " + strings.NewReplacer("\n", " ", "|", "\\|").Replace(h.Error)
		case len(h.Removed) == 0:
			result = "ok (nothing was there)"
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", h.Host, len(h.Removed), result)
	}
	return b.String()
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

// ghaUndeploy is the undeploy action: the verb, with the SSH secrets as
// masked inputs (the deploy action's handling) and the hosts as outputs.
func ghaUndeploy(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd, asAction())
	if err != nil {
		return err
	}
	sec, err := readSSHSecrets(u.gha)
	if err != nil {
		return err
	}
	r := undeployRequest{file: cmp.Or(u.gha.Input("manifest"), "deploy.yaml"), hosts: u.gha.ListInput("hosts"), report: u.gha.Input("report")}
	if r.allHosts, err = u.gha.BoolInput("all-hosts", false); err != nil {
		return exitcode.New(exitcode.Invalid, err)
	}
	if len(r.hosts) == 0 && !r.allHosts {
		return exitcode.New(exitcode.Invalid, &gha.InputError{Name: "hosts", Problem: "empty: name the hosts to remove the service from, or set all-hosts: true"})
	}
	if len(r.hosts) > 0 && r.allHosts {
		return exitcode.New(exitcode.Invalid, &gha.InputError{Name: "all-hosts", Problem: "true with hosts given: choose one"})
	}
	m, err := loadActionManifest(u, r.file, sec.knownHosts)
	if err != nil {
		return err
	}
	sshOpts, err := sec.sshOptions(m)
	if err != nil {
		return err
	}
	reps, err := runUndeploy(cmd, u, m, r, deploy.WithSSH(sshOpts...))
	return u.publish(undeployOutputs(reps, r), err)
}

// undeployOutputs are the hosts cleared and those that failed.
func undeployOutputs(reps []deploy.HostUndeploy, r undeployRequest) actionResult {
	var done, failed []string
	for _, h := range reps {
		if h.Error != "" {
			failed = append(failed, h.Host)
		} else {
			done = append(done, h.Host)
		}
	}
	return actionResult{outputs: append([]output{
		{"hosts-removed", strings.Join(done, ",")},
		{"hosts-failed", strings.Join(failed, ",")},
	}, reportOutput(r.report)...)}
}
