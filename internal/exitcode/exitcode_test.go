package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("boom"), Runtime},
		{"coded", New(Invalid, errors.New("bad")), Invalid},
		{"wrapped", fmt.Errorf("loading: %w", New(Gate, errors.New("failed"))), Gate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Of(tc.err); got != tc.want {
				t.Errorf("Of(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
	if New(Gate, nil) != nil {
		t.Error("New(Gate, nil) != nil")
	}
}
