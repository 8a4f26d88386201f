package notify_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/mfad/mfad/notify"
)

// TestDocReceiver: the Go receiver of docs/notifications.md compiles and
// accepts what mfad signs and nothing else (its verify function is run
// through a small test file of its own).
func TestDocReceiver(t *testing.T) {
	doc, err := os.ReadFile("../docs/notifications.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no Go block in docs/notifications.md")
	}
	dir := t.TempDir()
	body := []byte(`{"id":1,"kind":"code.replayed"}`)
	now := time.Now().Unix()
	good := notify.Sign([]byte("s3cret"), now, body)
	stale := notify.Sign([]byte("s3cret"), now-3600, body)
	check := `package main

import "testing"

func TestVerify(t *testing.T) {
	body := []byte(` + "`" + string(body) + "`" + `)
	if !verify([]byte("s3cret"), "` + good + `", body) {
		t.Error("a good signature refused")
	}
	if verify([]byte("other"), "` + good + `", body) || verify([]byte("s3cret"), "` + stale + `", body) ||
		verify([]byte("s3cret"), "` + good + `", []byte("{}")) {
		t.Error("a bad signature accepted")
	}
}
`
	for name, src := range map[string][]byte{"main.go": m[1], "main_test.go": []byte(check),
		"go.mod": []byte("module receiver\n\ngo 1.22\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the doc's receiver: %v\n%s", err, out.String())
	}
}
