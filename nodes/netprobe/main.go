// Command netprobe measures a network on real traffic from inside a
// container: the shaping tests run two of them on a network and drive both
// over a control port published on loopback.
//
// It serves one command per connection on -control (default :7000) and
// answers with one JSON line:
//
//	udprecv PORT MS           receive datagrams for MS ms: each one's
//	                          sequence number, send and receive time (ns)
//	udpsend HOST:PORT N GAPUS send N datagrams, one every GAPUS µs
//	tcprecv PORT MS           accept one connection, read for MS ms: bytes,
//	                          first and last byte's time (ns)
//	tcpsend HOST:PORT MS      write as fast as the connection takes, MS ms
//
// Both ends share the kernel's clock, so receive minus send time is the
// one-way latency. As a scenario's node it streams instead, until stopped:
//
//	netprobe udpsend HOST:PORT GAPUS  a datagram every GAPUS µs
//	netprobe udprecv PORT             prints "seq sent_ns recv_ns" per datagram
//
// and through an MQTT broker (mqtt.go).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	addr := flag.String("control", ":7000", "control address")
	flag.Parse()
	var err error
	switch a := flag.Args(); {
	case len(a) == 3 && a[0] == "udpsend":
		err = streamSend(ctx, a[1], a[2])
	case len(a) == 2 && a[0] == "udprecv":
		err = streamRecv(ctx, a[1])
	case len(a) == 3 && a[0] == "mqttpub":
		err = mqttPub(ctx, a[1], a[2], true)
	case len(a) == 4 && a[0] == "mqttpub" && a[3] == "noreconnect":
		err = mqttPub(ctx, a[1], a[2], false)
	case len(a) == 2 && a[0] == "mqttsub":
		err = mqttSub(ctx, a[1])
	default:
		err = serve(ctx, *addr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "netprobe:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go handle(c)
	}
}

func handle(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	res, err := command(strings.Fields(line))
	if err != nil {
		res = map[string]string{"error": err.Error()}
	}
	_ = json.NewEncoder(c).Encode(res)
}

func command(f []string) (any, error) {
	if len(f) == 0 {
		return nil, errors.New("empty command")
	}
	nums := make([]int, 0, len(f))
	for _, s := range f[2:] {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f[0], err)
		}
		nums = append(nums, n)
	}
	switch {
	case f[0] == "udprecv" && len(nums) == 1:
		return udpRecv(f[1], nums[0])
	case f[0] == "udpsend" && len(nums) == 2:
		return udpSend(f[1], nums[0], nums[1])
	case f[0] == "tcprecv" && len(nums) == 1:
		return tcpRecv(f[1], nums[0])
	case f[0] == "tcpsend" && len(nums) == 1:
		return tcpSend(f[1], nums[0])
	}
	return nil, fmt.Errorf("unknown command %q", strings.Join(f, " "))
}

// Datagram is one received datagram.
type Datagram struct {
	Seq    uint64 `json:"seq"`
	SentNS int64  `json:"sent_ns"`
	RecvNS int64  `json:"recv_ns"`
}

func udpRecv(port string, ms int) (any, error) {
	pc, err := net.ListenPacket("udp4", ":"+port)
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	_ = pc.SetDeadline(time.Now().Add(time.Duration(ms) * time.Millisecond))
	got := []Datagram{}
	buf := make([]byte, 2048)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		if n < 16 {
			continue
		}
		got = append(got, Datagram{Seq: binary.BigEndian.Uint64(buf), SentNS: int64(binary.BigEndian.Uint64(buf[8:])), RecvNS: time.Now().UnixNano()}) // #nosec G115 -- the sender wrote an int64's bits
	}
	return map[string]any{"datagrams": got}, nil
}

func udpSend(addr string, n, gapUS int) (any, error) {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	buf := make([]byte, 64)
	start := time.Now()
	sent := 0
	for i := range n {
		// Paced against the start, so a late wake-up does not slow the
		// whole stream down.
		time.Sleep(time.Until(start.Add(time.Duration(i*gapUS) * time.Microsecond)))
		binary.BigEndian.PutUint64(buf, uint64(i))
		binary.BigEndian.PutUint64(buf[8:], uint64(time.Now().UnixNano()))
		if _, err := c.Write(buf); err == nil {
			sent++
		}
	}
	return map[string]any{"sent": sent, "start_ns": start.UnixNano()}, nil
}

func tcpRecv(port string, ms int) (any, error) {
	ln, err := net.Listen("tcp4", ":"+port) // #nosec G102 -- a probe inside its own container: its peers reach it on the run's network
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	_ = ln.(*net.TCPListener).SetDeadline(deadline)
	c, err := ln.Accept()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetReadDeadline(deadline)
	var total int64
	var first, last int64
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			now := time.Now().UnixNano()
			if first == 0 {
				first = now
			}
			last = now
			total += int64(n)
		}
		if err != nil {
			break
		}
	}
	return map[string]int64{"bytes": total, "first_ns": first, "last_ns": last}, nil
}

func tcpSend(addr string, ms int) (any, error) {
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	// Unsent bytes are dropped on close, not drained at the link's rate.
	defer func() { _ = c.(*net.TCPConn).SetLinger(0); _ = c.Close() }()
	_ = c.SetWriteDeadline(time.Now().Add(time.Duration(ms) * time.Millisecond))
	buf := make([]byte, 16<<10)
	var total int64
	for {
		n, err := c.Write(buf)
		total += int64(n)
		if err != nil {
			break
		}
	}
	return map[string]int64{"bytes": total}, nil
}

func streamSend(ctx context.Context, addr, gap string) error {
	us, err := strconv.Atoi(gap)
	if err != nil {
		return err
	}
	var c net.Conn
	for c == nil { // the receiver's name resolves once it runs
		if c, err = net.Dial("udp4", addr); err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	defer c.Close()
	buf := make([]byte, 64)
	t := time.NewTicker(time.Duration(us) * time.Microsecond)
	defer t.Stop()
	for i := uint64(0); ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		binary.BigEndian.PutUint64(buf, i)
		binary.BigEndian.PutUint64(buf[8:], uint64(time.Now().UnixNano()))
		_, _ = c.Write(buf) // refused while the receiver starts
	}
}

func streamRecv(ctx context.Context, port string) error {
	pc, err := net.ListenPacket("udp4", ":"+port)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = pc.Close() }()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	buf := make([]byte, 2048)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return nil
		}
		if n >= 16 {
			fmt.Fprintf(w, "%d %d %d\n", binary.BigEndian.Uint64(buf), int64(binary.BigEndian.Uint64(buf[8:])), time.Now().UnixNano()) // #nosec G115 -- the sender wrote an int64's bits
			_ = w.Flush()                                                                                                              // a stdout nobody reads any more has no one to tell
		}
	}
}
