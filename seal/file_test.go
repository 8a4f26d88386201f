package seal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfad/mfad/seal"
)

func TestFormatParseRoundTrip(t *testing.T) {
	r := ring(t, key("k1", 1), key("old-key_2", 2), key("k3", 3))
	back, err := seal.ParseRing(r.Format())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Format(), r.Format(); got != want {
		t.Errorf("Format after ParseRing = %q, want %q", got, want)
	}
	if got := back.Primary(); got != "k3" {
		t.Errorf("Primary = %q, want k3", got)
	}
	sealed := mustSeal(t, r, "x", "ad")
	if got, err := back.Open(sealed, []byte("ad")); err != nil || string(got) != "x" {
		t.Errorf("parsed ring Open = %q, %v", got, err)
	}
}

func TestParseRing(t *testing.T) {
	b64 := func(fill byte) string { return base64.StdEncoding.EncodeToString(key("", fill).Secret) }
	short := base64.StdEncoding.EncodeToString(make([]byte, 31))
	urlsafe := sha256.Sum256([]byte("a key whose base64 has - and _")) // its base64 has a _
	for _, tc := range []struct {
		name, text string
		ids        string // "" for an error
	}{
		{"one line", "a " + b64(1), "a"},
		{"comments and blanks", "# ring\n\n  a " + b64(1) + "  \r\n# x\nb\t" + b64(2) + "\n\n", "a b"},
		{"bare key", b64(1), "k1"},
		{"bare key with newline and comment", "# env\n" + b64(1) + "\n", "k1"},
		{"unpadded and url-safe", "a " + strings.TrimRight(base64.URLEncoding.EncodeToString(urlsafe[:]), "="), "a"},
		{"a weak key (32 zero bytes)", "a " + base64.StdEncoding.EncodeToString(make([]byte, 32)), ""},
		{"a weak key (a byte repeated)", "a " + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)), ""},
		{"empty", "", ""},
		{"only comments", "# a\n\n", ""},
		{"two bare keys", b64(1) + "\n" + b64(2), ""},
		{"bare key after a named one", "a " + b64(1) + "\n" + b64(2), ""},
		{"three fields", "a " + b64(1) + " x", ""},
		{"short key", "a " + short, ""},
		{"not base64", "a " + strings.Repeat("!", 44), ""},
		{"bad id", "a/b " + b64(1), ""},
		{"fields swapped", b64(1) + " a", ""},
		{"duplicate id", "a " + b64(1) + "\na " + b64(2), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := seal.ParseRing(tc.text)
			if tc.ids == "" {
				if err == nil {
					t.Fatalf("ParseRing = %v, want an error", r)
				}
				for _, material := range []string{b64(1), b64(2), short} {
					if strings.Contains(err.Error(), material) {
						t.Errorf("error %q reveals key material", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.IDs(), " "); got != tc.ids {
				t.Errorf("IDs = %q, want %q", got, tc.ids)
			}
		})
	}
}

func TestLoadOrCreateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	r, created, err := seal.LoadOrCreateFile(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateFile = %v, %v; want created", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	again, created, err := seal.LoadOrCreateFile(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateFile = %v, %v; want loaded", created, err)
	}
	if again.CheckValue() != r.CheckValue() {
		t.Error("second LoadOrCreateFile returned a different key")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadFileRefusesOpenModes(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o644, 0o640, 0o604, 0o620} {
		path := filepath.Join(dir, fmt.Sprintf("key%o", perm))
		if err := os.WriteFile(path, []byte(ring(t, key("k1", 1)).Format()), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
		for name, load := range map[string]func() error{
			"LoadFile":         func() error { _, err := seal.LoadFile(path); return err },
			"LoadOrCreateFile": func() error { _, _, err := seal.LoadOrCreateFile(path); return err },
		} {
			err := load()
			if err == nil {
				t.Fatalf("%s accepted a key file with mode %04o", name, perm)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("%04o", perm)) {
				t.Errorf("%s error %q does not name the path and mode", name, msg)
			}
		}
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	r1 := ring(t, key("k1", 1))
	r12 := ring(t, key("k1", 1), key("k2", 2))
	for _, r := range []*seal.Ring{r1, r12} { // create, then replace
		if err := seal.WriteFile(path, r); err != nil {
			t.Fatal(err)
		}
		got, err := seal.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format() != r.Format() {
			t.Errorf("LoadFile after WriteFile = %v, want %v", got, r)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after WriteFile = %v, %v; want 0600", info.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("dir holds %d entries after WriteFile, want 1 (no temp files left)", len(entries))
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := seal.LoadFile(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want fs.ErrNotExist", err)
	}
}

func FuzzParseRing(f *testing.F) {
	f.Add(ring(f, key("k1", 1), key("k2", 2)).Format())
	f.Add(base64.StdEncoding.EncodeToString(key("", 7).Secret))
	f.Add("# c\n\na AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Add("a b c\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := seal.ParseRing(text)
		if err != nil {
			return
		}
		back, err := seal.ParseRing(r.Format())
		if err != nil {
			t.Fatalf("ParseRing(Format()) = %v", err)
		}
		if back.Format() != r.Format() || back.CheckValue() != r.CheckValue() {
			t.Fatal("Format/ParseRing round trip changed the ring")
		}
	})
}
