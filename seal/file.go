package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad/weak"
)

// ParseRing reads the key ring format: one "<id> <base64 key>" per line,
// blank lines and '#' comments ignored, the last key primary. A text that is
// a single bare base64 key (as MFAD_MASTER_KEY may be) is a ring of one key,
// id "k1". Errors name line numbers, never key material.
func ParseRing(text string) (*Ring, error) {
	var keys []Key
	lines := strings.Split(text, "\n")
	for n, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 1 && len(keys) == 0 && onlyLine(lines[n+1:]) {
			f = []string{"k1", f[0]}
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("seal: key ring line %d: want \"<id> <base64 key>\"", n+1)
		}
		if !validID(f[0]) { // not quoted: with the fields swapped, it is the key
			return nil, fmt.Errorf("seal: key ring line %d: invalid key id: want 1-32 characters of [A-Za-z0-9_-]", n+1)
		}
		secret, ok := decodeKey(f[1])
		if !ok {
			return nil, fmt.Errorf("seal: key ring line %d: key %s is not base64 of %d bytes", n+1, f[0], keySize)
		}
		if why := weak.Key(secret); why != "" { // a key anyone could guess seals nothing
			return nil, fmt.Errorf("seal: key ring line %d: key %s is too weak (%s); make one with mfad keys generate", n+1, f[0], why)
		}
		keys = append(keys, Key{ID: f[0], Secret: secret})
	}
	if len(keys) == 0 {
		return nil, errors.New("seal: key ring has no keys")
	}
	return NewRing(keys...)
}

// Format returns the ring in the format ParseRing reads.
func (r *Ring) Format() string {
	var b strings.Builder
	b.WriteString("# mfad key ring: \"<id> <base64 key>\" per line; the last key is the primary.\n")
	b.WriteString("# Keep a copy apart from the database: without it, sealed secrets are lost.\n")
	for _, k := range r.keys {
		b.WriteString(k.ID + " " + base64.StdEncoding.EncodeToString(k.Secret) + "\n")
	}
	return b.String()
}

// NewKeyID returns an id for a new key: "k", the Unix time (so ids sort by
// age) and four random hex digits (so two keys made in one second differ).
func NewKeyID() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "k" + strconv.FormatInt(time.Now().Unix(), 10) + "-" + hex.EncodeToString(b[:])
}

// LoadFile reads a key ring file. It refuses a file that group or others may
// access at all, so a key copied with the wrong mode is noticed at once.
func LoadFile(path string) (*Ring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("seal: key file %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	text, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	r, err := ParseRing(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteFile writes the ring to path with mode 0600, atomically: a reader sees
// the old ring or the new one, never a part.
func WriteFile(path string, r *Ring) error {
	tmp, err := writeTemp(path, r)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("seal: key file: %w", err)
	}
	syncDir(path)
	return nil
}

// LoadOrCreateFile loads the ring at path, or if there is no file, creates
// one with a fresh key. It never replaces an existing file: losing the key
// loses every sealed secret. If two processes race to create it, both end up
// with the one that landed first.
func LoadOrCreateFile(path string) (ring *Ring, created bool, err error) {
	ring, err = LoadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return ring, false, err
	}
	k, err := GenerateKey(NewKeyID())
	if err != nil {
		return nil, false, err
	}
	if ring, err = NewRing(k); err != nil {
		return nil, false, err
	}
	tmp, err := writeTemp(path, ring)
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		ring, err = LoadFile(path)
		return ring, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("seal: creating key file: %w", err)
	}
	syncDir(path)
	return ring, true, nil
}

// writeTemp writes the ring to a synced 0600 temporary file next to path.
func writeTemp(path string, r *Ring) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("seal: key file: %w", err)
	}
	_, err = f.WriteString(r.Format()) // CreateTemp made it 0600
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("seal: key file: %w", err)
	}
	return f.Name(), nil
}

// syncDir makes a new directory entry durable; best effort.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}

func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil && len(b) == keySize {
			return b, true
		}
	}
	return nil, false
}

// onlyLine reports whether the remaining lines hold no key line.
func onlyLine(rest []string) bool {
	for _, l := range rest {
		if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
			return false
		}
	}
	return true
}
