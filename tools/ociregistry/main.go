// Command ociregistry serves go-containerregistry's in-memory registry with
// the OCI 1.1 referrers API turned on: the test bed's second registry,
// beside distribution 2.8, which has only the referrers tag fallback.
// Everything lives in memory and is gone when it stops.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	var addrs []string
	flag.Func("addr", "listen on this host:port (repeatable)", func(s string) error {
		addrs = append(addrs, s)
		return nil
	})
	flag.Parse()
	if len(addrs) == 0 {
		fmt.Fprintln(os.Stderr, "ociregistry: give at least one -addr host:port")
		os.Exit(3)
	}
	h := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, len(addrs))
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ociregistry: %v\n", err)
			os.Exit(1)
		}
		log.Printf("serving the OCI 1.1 registry (referrers API) on %s", l.Addr())
		go func() { errs <- srv.Serve(l) }()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Printf("stopping on %s", s)
		_ = srv.Close()
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "ociregistry: %v\n", err)
			os.Exit(1)
		}
	}
}
