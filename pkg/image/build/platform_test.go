package build

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{name: "one", in: []string{"linux/amd64"}, want: []string{"linux/amd64"}},
		{name: "comma list and repeats", in: []string{"linux/amd64,linux/arm64", "linux/arm/v7"}, want: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}},
		{name: "spaces and empty items", in: []string{" linux/amd64 , ,linux/arm64"}, want: []string{"linux/amd64", "linux/arm64"}},
		{name: "no arch", in: []string{"linux"}, wantErr: `platform "linux": want os/arch or os/arch/variant`},
		{name: "too many parts", in: []string{"linux/arm/v7/x"}, wantErr: `want os/arch or os/arch/variant`},
		{name: "unknown os", in: []string{"plan9/amd64"}, wantErr: `unknown os "plan9"`},
		{name: "unknown arch", in: []string{"linux/x86_64"}, wantErr: `unknown architecture "x86_64" for linux, want one of 386, amd64`},
		{name: "unknown variant", in: []string{"linux/arm/v9"}, wantErr: `unknown variant "v9" for linux/arm, want one of v5, v6, v7`},
		{name: "variant where none", in: []string{"linux/riscv64/v1"}, wantErr: `linux/riscv64 takes no variant`},
		{name: "duplicate", in: []string{"linux/amd64,linux/amd64"}, wantErr: `platform linux/amd64 is listed twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := ParsePlatforms(tc.in)
			if tc.wantErr != "" {
				var ie *InputError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ie) {
					t.Fatalf("ParsePlatforms(%q) = %v, want an input error containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePlatforms(%q) = %v", tc.in, err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, PlatformString(p))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePlatforms(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	p := func(s string) v1.Platform {
		pl, err := ParsePlatform(s)
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	cases := []struct {
		have, want string
		ok         bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/amd64", "linux/arm64", false},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/arm/v6", "linux/arm", false},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/arm/v6", "linux/arm/v7", false},
	}
	for _, tc := range cases {
		t.Run(tc.have+" serves "+tc.want, func(t *testing.T) {
			t.Parallel()
			if got := matches(p(tc.have), p(tc.want)); got != tc.ok {
				t.Errorf("matches(%s, %s) = %v, want %v", tc.have, tc.want, got, tc.ok)
			}
		})
	}
}
