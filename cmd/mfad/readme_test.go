package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// readmeBlock returns the first ```sh block of README.md after the heading
// that starts with heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading)
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(after, "\n```sh\n")
	if !ok {
		t.Fatalf("README.md: no ```sh block under %q", heading)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("README.md: the ```sh block under %q does not end", heading)
	}
	return block + "\n"
}

// shellTools skips the test unless bash, curl and jq are installed.
func shellTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the README's blocks need it", tool)
		}
	}
}

// shellDir makes a working directory for a README block: bin/mfad is the
// test build of mfad, put first on PATH as `go install ./cmd/mfad` would.
func shellDir(t *testing.T) (dir, bin string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e2e.Binary(t), filepath.Join(bin, "mfad")); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// clockShim replaces sleep in a README block: instead of waiting, it moves
// the server's clock (the test build's /debug/clock) and mfad code's clock
// (MFAD_TEST_CLOCK_OFFSET) forward together. The block itself runs as
// written.
const clockShim = `set -euo pipefail
sleep() {
  local s=${1%s}
  curl -sf -X POST "$MFAD/debug/clock" -d "{\"advance\":\"${s}s\"}" >/dev/null
  MFAD_TEST_CLOCK_OFFSET=$(( ${MFAD_TEST_CLOCK_OFFSET%s} + s ))s
  export MFAD_TEST_CLOCK_OFFSET
}
`

// TestREADMEWalkthrough runs the README's curl walkthrough, the shell block
// as it stands, with bash against a real mfad serve on a fresh data dir
// (whose admin password is in mfad-data/admin-password, as the README
// says). Only sleep is replaced (clockShim), so that the 30 seconds the
// block waits for the app's next code pass on the server's clock at once.
func TestREADMEWalkthrough(t *testing.T) {
	shellTools(t)
	block := readmeBlock(t, "## A walkthrough with curl")
	dir, bin := shellDir(t)
	// An empty MFAD_ADMIN_PASSWORD counts as unset: serve writes the
	// password file, as for a user who set nothing.
	srv := e2e.Start(t, e2e.Options{Env: []string{"MFAD_ADMIN_PASSWORD="}})
	if err := os.Symlink(srv.DataDir, filepath.Join(dir, "mfad-data")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", clockShim+block)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MFAD="+srv.URL, "MFAD_TEST_CLOCK_OFFSET=0s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", err, stdout.String(), stderr.String(), srv.Logs())
	}
	out := stdout.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"name":"alice"`),                         // 1. created
		regexp.MustCompile(`(?m)^otpauth://totp/mfad:alice`),         // 3. the URI to scan
		regexp.MustCompile(`"scratch_codes":\[("[0-9]{8}",?){10}\]`), // 4. confirmed, the codes shown
		regexp.MustCompile(`"code":"invalid_code"`),                  // 5. the confirming code is used
		regexp.MustCompile(`(?m)^([0-9]{8}\n){10}`),                  // 6. new scratch codes
		regexp.MustCompile(`^[A-Za-z0-9_-]{20,}$`),                   // 7. a session without a code
	} {
		s := out
		if want.String() == `^[A-Za-z0-9_-]{20,}$` {
			s = last
		}
		if !want.MatchString(s) {
			t.Errorf("the walkthrough's output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(stderr.String(), "error") {
		t.Errorf("the walkthrough wrote errors:\n%s", stderr.String())
	}
}

// TestREADMEMultiInstance runs the README's commands for several instances
// on PostgreSQL, with two literals replaced: the database URL (the test
// server, on a schema that does not exist yet, as a fresh database has
// none) and the listen address (a free port). It checks that the instance
// serves: ready, and the admin can log in.
func TestREADMEMultiInstance(t *testing.T) {
	shellTools(t)
	base := pgtest.URL(t)
	block := readmeBlock(t, "## Running several instances")
	const readmeDB = "postgres://mfad@db.internal/mfad?sslmode=verify-full&search_path=mfad&pool_max_conns=16"
	const readmeAddr = "0.0.0.0:8080"
	for _, lit := range []string{readmeDB, readmeAddr} {
		if !strings.Contains(block, lit) {
			t.Fatalf("the README's block no longer contains %q; update this test with it:\n%s", lit, block)
		}
	}
	schema := "mfad_readme_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		if err := pgtest.Exec(base, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	dsn := pgtest.WithParams(t, base, "search_path", schema, "pool_max_conns", "4")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	block = strings.ReplaceAll(block, readmeDB, dsn)
	block = strings.ReplaceAll(block, readmeAddr, addr)

	dir, bin := shellDir(t)
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+block)
	cmd.Dir = dir
	cmd.Env = append(withoutMFAD(os.Environ()), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // serve runs in the foreground: stop the group
	var out syncBuffer                                    // read while the commands still write
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})

	url := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-done:
			t.Fatalf("the README's commands ended before serving: %v\n%s", err, out.String())
		default:
		}
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready instance at %s:\n%s", url, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "migration(s) were pending") {
		t.Errorf("mfad migrate said:\n%s", out.String())
	}
	pw, err := os.ReadFile(filepath.Join(dir, "mfad-data", "admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := fmt.Sprintf(`{"login":"admin","password":%q}`, strings.TrimSpace(string(pw)))
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin login on the instance: %d\n%s", resp.StatusCode, out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and readers at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// withoutMFAD drops the MFAD_* variables of the test's environment (such
// as MFAD_TEST_POSTGRES), so the README's commands see only their own.
func withoutMFAD(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MFAD_") {
			out = append(out, kv)
		}
	}
	return out
}

// TestREADMEAdministration runs the README's Administration block, every
// line as written, with bash in a fresh directory (issue 30: a line pasted
// from it must do what its comment says, and no harm). Its fixtures are the
// files it names: secret.txt (a secret for mfad code) and users.csv (bob's
// existing secret for mfad import).
func TestREADMEAdministration(t *testing.T) {
	shellTools(t)
	block := readmeBlock(t, "## Administration")
	dir, bin := shellDir(t)
	secret := "N5VVGBDL3V5SHW6IY2UTMQ2M4MQBQRZM"
	for name, body := range map[string]string{"secret.txt": secret + "\n", "users.csv": "user,secret\nbob," + secret + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+block)
	cmd.Dir = dir
	cmd.Env = append(withoutMFAD(os.Environ()), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's Administration block failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^created user 2 bob$`),
		regexp.MustCompile(`(?m)^2 +bob +bob@example\.org +user +off +false$`),
		regexp.MustCompile(`(?m)^line 2: bob: 2FA on \(SHA1, 6 digits, 30 s\)$`),
		regexp.MustCompile(`(?m)^[0-9]{6}$`),
		regexp.MustCompile(`(?m)^bob: 2FA reset`),
		regexp.MustCompile(`(?m)^bob: password changed$`),
		regexp.MustCompile(`"action":"2fa.import"`),
		regexp.MustCompile(`(?m)^retired key k[0-9]+-[0-9a-f]{4}$`),
		regexp.MustCompile(`(?m)^wrote backups/mfad-[0-9-]{10}\.db`),
		regexp.MustCompile(`(?m)^preauth key of example\.org: [0-9a-f]{64}$`),
		regexp.MustCompile(`(?m)^mfad selftest: PASS`),
		regexp.MustCompile(`(?m)^bob: deleted$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the block's output lacks %s:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "backups")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backups dir: %v %v", fi, err)
	}
	if strings.Contains(out+stderr.String(), secret) {
		t.Error("a command printed the secret")
	}
}
