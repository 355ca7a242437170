// Command arch prints the CPU architecture it was built for, or writes it to
// the file given with -o (for a RUN step in an image without a shell).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
)

func main() {
	out := flag.String("o", "", "write the architecture to this file instead of stdout")
	flag.Parse()
	if *out == "" {
		fmt.Println(runtime.GOARCH)
		return
	}
	if err := os.WriteFile(*out, []byte(runtime.GOARCH+"\n"), 0o644); err != nil { // #nosec G306 -- a test program writing its GOARCH
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
