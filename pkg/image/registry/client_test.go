package registry

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// TestClientOptions checks where explicit credentials go and which options
// are refused as invalid input (exit code 3).
func TestClientOptions(t *testing.T) {
	t.Parallel()
	missingCA := filepath.Join(t.TempDir(), "ca.pem")
	cases := []struct {
		name string
		opts []Option
		// auth is the basic auth each registry gets; "" is anonymous.
		auth map[string]string
		// err is part of the error New returns; "" for none.
		err string
	}{
		{
			name: "credentials for a push's destination",
			opts: []Option{WithCredentialsFor("registry.example.com:5000/staging/app:pr-1", "ci", "s3cret")},
			auth: map[string]string{"registry.example.com:5000": "ci:s3cret", "ghcr.io": ""},
		},
		{
			name: "credentials for a digest reference",
			opts: []Option{WithCredentialsFor("ghcr.io/acme/app@sha256:"+strings.Repeat("ab", 32), "bot", "token")},
			auth: map[string]string{"ghcr.io": "bot:token", "registry.example.com:5000": ""},
		},
		{
			name: "no username, no credentials",
			opts: []Option{WithCredentialsFor("registry.example.com:5000/app", "", "")},
			auth: map[string]string{"registry.example.com:5000": ""},
		},
		{
			name: "no username, no reference needed",
			opts: []Option{WithCredentialsFor("", "", "")},
			auth: map[string]string{"ghcr.io": ""},
		},
		{
			name: "reference that does not parse",
			opts: []Option{WithCredentialsFor("Not A Reference", "ci", "s3cret")},
			err:  `parsing reference "Not A Reference"`,
		},
		{
			name: "username without password",
			opts: []Option{WithCredentialsFor("ghcr.io/acme/app", "ci", "")},
			err:  "want both a username and a password",
		},
		{
			name: "no CA files",
			opts: []Option{WithCAFiles()},
			auth: map[string]string{"ghcr.io": ""},
		},
		{
			name: "missing CA file",
			opts: []Option{WithCAFiles(missingCA)},
			err:  "reading CA file",
		},
		{
			name: "empty CA path",
			opts: []Option{WithCAFiles("")},
			err:  "CA file: empty path",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// No Docker config and no Actions token: only explicit credentials.
			opts := append([]Option{WithKeychain(authn.NewMultiKeychain()), WithGetenv(func(string) string { return "" })}, tc.opts...)
			c, err := New(opts...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("New() = %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			got := map[string]string{}
			for reg := range tc.auth {
				r, err := name.NewRegistry(reg)
				if err != nil {
					t.Fatal(err)
				}
				a, err := c.Keychain().Resolve(r)
				if err != nil {
					t.Fatalf("resolving %s: %v", reg, err)
				}
				cfg, err := a.Authorization()
				if err != nil {
					t.Fatal(err)
				}
				got[reg] = ""
				if cfg.Username != "" {
					got[reg] = cfg.Username + ":" + cfg.Password
				}
			}
			if diff := cmp.Diff(tc.auth, got); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClientOptionErrorsAreInput checks that a reference a user mistyped
// is invalid input, not a runtime error.
func TestClientOptionErrorsAreInput(t *testing.T) {
	t.Parallel()
	_, err := New(WithCredentialsFor("Not A Reference", "ci", "s3cret"))
	var ie *InputError
	if !errors.As(err, &ie) || ie.ExitCode() != 3 {
		t.Errorf("New() = %v, want an *InputError (exit code 3)", err)
	}
}
