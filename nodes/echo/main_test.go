package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServe(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want, wantErr string
	}{
		{
			name: "init, two advances, shutdown",
			in:   "INIT echo1 {\"seed\": 42}\nADVANCE 1000\n[]\nADVANCE 2000\n[{\"time_us\":1500,\"type\":\"TRANSMIT\",\"src\":\"sensor1\",\"dst\":\"echo1\",\"payload\":{\"v\":1},\"size_bytes\":64,\"network_metadata\":{}}]\nSHUTDOWN\n",
			want: "READY\nDONE\n[]\nDONE\n" +
				`[{"time_us":2000,"type":"echo_TRANSMIT","src":"echo1","dst":"sensor1","payload":{"original_payload":{"v":1},"original_source":"sensor1","original_type":"TRANSMIT"},"size_bytes":64,"network_metadata":{}}]` + "\n",
		},
		{name: "one-line advance", in: "INIT e {}\nADVANCE 5 []\n", want: "READY\nDONE\n[]\n"},
		{name: "advance before init", in: "ADVANCE 5\n[]\n", wantErr: "ADVANCE before INIT"},
		{name: "bad events", in: "INIT e {}\nADVANCE 5\nnot json\n", want: "READY\n", wantErr: "reading events"},
		{name: "unknown command", in: "HELLO\n", wantErr: `unknown command "HELLO"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := serve(strings.NewReader(tc.in), &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("serve() = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("serve() = %v", err)
			}
			if diff := cmp.Diff(tc.want, out.String()); tc.want != "" && diff != "" {
				t.Errorf("serve() output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServeStdio speaks upstream's stdin/stdout dialect: INIT without an
// id, renamed event keys, echoes from echo_service.
func TestServeStdio(t *testing.T) {
	in := strings.NewReader("INIT {\"seed\": 1}\nADVANCE 2000\n[{\"timestamp_us\": 1500, \"event_type\": \"TRANSMIT\", \"source\": \"s1\", \"destination\": \"echo\", \"payload\": {\"v\": 1}}]\nSHUTDOWN\n")
	var out strings.Builder
	if err := serveStdio(in, &out); err != nil {
		t.Fatal(err)
	}
	want := "READY\nDONE\n" + `[{"timestamp_us":2000,"event_type":"echo_TRANSMIT","source":"echo_service","destination":"s1","payload":{"original_payload":{"v":1},"original_source":"s1","original_type":"TRANSMIT"}}]` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
