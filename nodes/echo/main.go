// Command echo is a node for xEdgeSim's coordinator: it speaks upstream's
// TCP line protocol (INIT/READY, ADVANCE/DONE, SHUTDOWN) and answers every
// event it receives with an echo_<type> event back to its sender, as
// upstream's containers/examples/echo_service.py does.
//
//	echo              serve on :5000, one coordinator connection at a time
//	echo -addr :6000  another address
//	echo -stdio       upstream's stdin/stdout protocol (M3h), for docker exec -i
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	addr := fs.String("addr", ":5000", "address to listen on")
	stdio := fs.Bool("stdio", false, "speak the stdin/stdout protocol on stdin and stdout instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stdio {
		return serveStdio(os.Stdin, os.Stdout)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = ln.Close() }()
	fmt.Fprintln(os.Stderr, "echo: listening on", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := serve(c, c); err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
		}
		_ = c.Close() // the client is served; nothing is left to lose
	}
}

// Event is upstream's event as the coordinator sends it
// (dataclasses.asdict): every key present.
type Event struct {
	TimeUS          int64          `json:"time_us"`
	Type            string         `json:"type"`
	Src             string         `json:"src"`
	Dst             *string        `json:"dst"`
	Payload         any            `json:"payload"`
	SizeBytes       int            `json:"size_bytes"`
	NetworkMetadata map[string]any `json:"network_metadata"`
}

// serve runs the protocol on one connection until SHUTDOWN or EOF.
func serve(r io.Reader, w io.Writer) error {
	in := bufio.NewReader(r)
	out := bufio.NewWriter(w)
	id := "echo"
	inited := false
	for {
		line, err := in.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		parts := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
		switch parts[0] {
		case "INIT":
			if len(parts) > 1 {
				id = parts[1]
			}
			inited = true
			fmt.Fprintln(out, "READY")
		case "ADVANCE":
			if !inited {
				return errors.New("ADVANCE before INIT")
			}
			if len(parts) < 2 {
				return errors.New("ADVANCE without a time")
			}
			target, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil {
				return fmt.Errorf("ADVANCE %q: %w", parts[1], err)
			}
			// The events come on the next line, or on the same one.
			evLine := ""
			if len(parts) == 3 {
				evLine = parts[2]
			} else if evLine, err = in.ReadString('\n'); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			var events []Event
			if err := json.Unmarshal([]byte(strings.TrimSpace(evLine)), &events); err != nil {
				return fmt.Errorf("reading events: %w", err)
			}
			b, err := json.Marshal(echoes(id, target, events))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "DONE\n%s\n", b)
		case "SHUTDOWN":
			return out.Flush()
		case "":
		default:
			return fmt.Errorf("unknown command %q", parts[0])
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

// echoes answers each event with echo_<type> to its sender at the target
// time.
func echoes(id string, target int64, events []Event) []Event {
	out := make([]Event, 0, len(events))
	for _, e := range events {
		dst := e.Src
		out = append(out, Event{
			TimeUS: target,
			Type:   "echo_" + e.Type,
			Src:    id,
			Dst:    &dst,
			Payload: map[string]any{
				"original_type":    e.Type,
				"original_source":  e.Src,
				"original_payload": e.Payload,
			},
			SizeBytes:       e.SizeBytes,
			NetworkMetadata: map[string]any{},
		})
	}
	return out
}

// stdioEvent is an event in the stdin/stdout protocol: upstream's container
// adapter renames the keys and drops size_bytes and network_metadata.
type stdioEvent struct {
	TimestampUS int64   `json:"timestamp_us"`
	EventType   string  `json:"event_type"`
	Source      string  `json:"source"`
	Destination *string `json:"destination"`
	Payload     any     `json:"payload"`
}

// serveStdio runs the stdin/stdout protocol: INIT <config> (no id) gets
// READY, ADVANCE <t> and an events line get DONE and the echoes, SHUTDOWN
// ends it without a reply. As upstream's echo_service, the echoes come from
// "echo_service".
func serveStdio(r io.Reader, w io.Writer) error {
	in := bufio.NewReader(r)
	out := bufio.NewWriter(w)
	inited := false
	for {
		line, err := in.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		parts := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
		switch parts[0] {
		case "INIT":
			inited = true
			fmt.Fprintln(out, "READY")
		case "ADVANCE":
			if !inited || len(parts) < 2 {
				fmt.Fprintln(out, "ERROR ADVANCE before INIT or without a time")
				return out.Flush()
			}
			target, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil {
				return fmt.Errorf("ADVANCE %q: %w", parts[1], err)
			}
			evLine := ""
			if len(parts) == 3 {
				evLine = parts[2]
			} else if evLine, err = in.ReadString('\n'); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			var events []stdioEvent
			if err := json.Unmarshal([]byte(strings.TrimSpace(evLine)), &events); err != nil {
				return fmt.Errorf("reading events: %w", err)
			}
			echoes := make([]stdioEvent, 0, len(events))
			for _, e := range events {
				dst := e.Source
				echoes = append(echoes, stdioEvent{TimestampUS: target, EventType: "echo_" + e.EventType, Source: "echo_service",
					Destination: &dst, Payload: map[string]any{"original_type": e.EventType, "original_source": e.Source, "original_payload": e.Payload}})
			}
			b, err := json.Marshal(echoes)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "DONE\n%s\n", b)
		case "SHUTDOWN":
			return out.Flush()
		case "":
		default:
			return fmt.Errorf("unknown command %q", parts[0])
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
}
