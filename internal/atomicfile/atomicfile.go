package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tries bounds the retries on a name collision, which needs another process
// to create the same 64 random bits: any failure past one try is not luck.
const tries = 10

// CreateTemp creates a new file in dir, opened for writing, named by
// pattern with its last "*" (or its end) replaced by a random string, as
// os.CreateTemp does; its mode is 0666 less the umask.
func CreateTemp(dir, pattern string) (*os.File, error) {
	if strings.ContainsRune(pattern, os.PathSeparator) {
		return nil, fmt.Errorf("pattern %q contains a path separator", pattern)
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	var err error
	for range tries {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("naming a temporary file: %w", err)
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:])+suffix)
		var f *os.File
		// 0666: the kernel applies the umask, which a process cannot read
		// without changing it for all its threads.
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666) // #nosec G302 G304 -- the umask decides, as for any file a user's command writes; dir is the caller's output directory
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, err
}
