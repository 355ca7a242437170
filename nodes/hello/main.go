// Command hello is the smallest node image: it prints the platform it was
// built for and serves the same line over HTTP, so a test can tell an arm64
// image from an amd64 one on any host.
//
//	hello            print linux/arm64 and serve on :8080
//	hello -once      print and exit
//	hello -addr :80  serve on another address
//	hello -hold-mb 100  also hold 100 MiB of memory (resource gates' tests)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

func platform() string { return runtime.GOOS + "/" + runtime.GOARCH }

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "address to serve on")
	once := fs.Bool("once", false, "print the platform and exit")
	holdMB := fs.Int("hold-mb", 0, "MiB of memory to hold while serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	held := hold(*holdMB)
	defer runtime.KeepAlive(held)
	fmt.Println(platform())
	if *once {
		return nil
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           handler(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// hold allocates mb MiB and writes every page, so that it is resident.
func hold(mb int) []byte {
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from "+platform())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	return mux
}
