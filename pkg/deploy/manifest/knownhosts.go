package manifest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// ParseKnownHosts checks s holds known_hosts lines (as ssh-keyscan prints
// them) and returns how many keys they hold.
func ParseKnownHosts(s string) (int, error) {
	rest := []byte(s)
	n := 0
	for len(rest) > 0 {
		_, _, _, _, r, err := ssh.ParseKnownHosts(rest)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("parsing known_hosts line %d: %w", n+1, err)
		}
		n++
		rest = r
	}
	if n == 0 {
		return 0, errors.New("no known_hosts line")
	}
	return n, nil
}

// PassphraseValue is the passphrase with a $NAME reference read from the
// environment.
func (s SSH) PassphraseValue() string {
	if name, ok := strings.CutPrefix(s.Passphrase, "$"); ok {
		return os.Getenv(strings.Trim(name, "{}"))
	}
	return s.Passphrase
}
