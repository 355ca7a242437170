// Package ident is the one charset for the names users give to the things
// xedgesim creates or addresses by name: scenario node ids, observer names,
// deploy host names and service names.
//
// Those names become file names (<node_id>_metrics.csv, log files, state
// files), container and network alias names, systemd and supervisor program
// names and log prefixes. A name of letters, digits, '_', '.' and '-' that
// starts with a letter or digit, at most 63 characters (a DNS label), is
// safe in all of them: no path separator, no "." or "..", no shell or unit
// file syntax, no control character. The loaders check every such name with
// Check and refuse the file (exit 3) at the name's line, before anything
// runs.
package ident
