// Command hello is the smoke tests' container: a static HTTP server that
// answers with the CPU architecture it runs on.
package main

import (
	"fmt"
	"log"
	"net/http"
	"runtime"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from xedgesim-smoke on %s\n", runtime.GOARCH)
	})
	log.Fatal(http.ListenAndServe(":8080", nil)) // #nosec G114 -- a test image's hello server, on the bed only
}
