// Package e2e runs real mfad server processes for end-to-end tests: it
// builds the test build of cmd/mfad once (with the clock and crash hooks of
// the mfadtest tag), starts `mfad serve` on a free port with its own data
// dir, moves its clock, and keeps everything it logged so tests can check
// that no secret ever reached a log line.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/mfad with -tags mfadtest once per test process and
// returns its path. The binary lives in a temporary directory named after
// the process; directories of processes that have ended are removed, since
// a test process has no hook to remove its own when it exits.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		removeStaleBinaries()
		dir, err := os.MkdirTemp("", fmt.Sprintf("mfad-e2e-%d-*", os.Getpid()))
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mfad")
		cmd := exec.Command("go", "build", "-tags", "mfadtest", "-o", binPath, "github.com/mfad/mfad/cmd/mfad")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building mfad: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// removeStaleBinaries removes the binary directories of test processes that
// no longer run.
func removeStaleBinaries() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "mfad-e2e-*-*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "mfad-e2e-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			os.RemoveAll(d)
		}
	}
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AdminPassword is the bootstrap admin's password in every test server.
const AdminPassword = "admin-password-for-tests"

// Server is one running `mfad serve` process.
type Server struct {
	URL     string
	DataDir string
	Args    []string
	Env     []string

	t      testing.TB
	cmd    *exec.Cmd
	logs   *syncBuffer
	done   chan struct{}
	offset time.Duration
	mu     sync.Mutex
}

// Options change how a server starts.
type Options struct {
	DataDir string   // default: a new temp dir
	Args    []string // extra flags for serve
	Env     []string // extra environment, e.g. MFAD_CRASH_AT=confirm
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	s := &Server{DataDir: o.DataDir, Args: o.Args, Env: o.Env, t: t, logs: &syncBuffer{}}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// listening finds the address in the "listening" line, in text or JSON logs.
var listening = regexp.MustCompile(`msg=listening addr=(\S+)|"msg":"listening","addr":"([^"]+)"`)

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", s.DataDir}, s.Args...)
	cmd := exec.Command(Binary(s.t), args...)
	cmd.Env = append(os.Environ(), "MFAD_ADMIN_PASSWORD="+AdminPassword, "MFAD_LOG_FORMAT=text")
	cmd.Env = append(cmd.Env, s.Env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout = s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				addr <- m[1] + m[2]
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-s.done:
		s.t.Fatalf("mfad serve exited before listening:\n%s", s.logs.String())
	case <-time.After(60 * time.Second):
		s.t.Fatalf("mfad serve did not start:\n%s", s.logs.String())
	}
	// The clock offset lives in the process: a restarted server starts at
	// real time, so re-apply the offset the test had moved it by.
	if s.offset != 0 {
		off := s.offset
		s.offset = 0
		s.Advance(off)
	}
}

// Stop stops the server with SIGTERM (a graceful shutdown).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Kill kills the server without warning.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
		s.cmd = nil
	}
}

// Wait waits for the server to exit by itself (e.g. at a crash point) and
// returns its exit code.
func (s *Server) Wait(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.t.Fatal("server did not exit")
	}
	code := s.cmd.ProcessState.ExitCode()
	s.cmd = nil
	return code
}

// Restart starts the server again on the same data dir, with env replacing
// the extra environment.
func (s *Server) Restart(env ...string) {
	s.t.Helper()
	s.Stop()
	s.Env = env
	s.start()
}

// Advance moves the server's clock forward by d: time travel, the
// database's clock moves too.
func (s *Server) Advance(d time.Duration) { s.t.Helper(); s.moveClock("advance", d) }

// Skew sets the server machine's clock d off (NTP trouble): its own clock
// moves, the database server's does not.
func (s *Server) Skew(d time.Duration) { s.t.Helper(); s.moveClock("skew", d) }

func (s *Server) moveClock(how string, d time.Duration) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	body := fmt.Sprintf(`{%q:%q}`, how, d.String())
	resp, err := http.Post(s.URL+"/debug/clock", "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("advancing the clock: %s %s", resp.Status, b)
	}
	s.offset += d
}

// Now is the server's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// Logs returns everything the server wrote so far.
func (s *Server) Logs() string { return s.logs.String() }

// Do sends a request with an optional JSON body and bearer token and
// decodes a JSON answer into out (if not nil). It returns the status.
func (s *Server) Do(method, path, token string, body, out any) (int, http.Header) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decoding %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// CLI runs an mfad administration command on the server's data dir, with
// stdin as its standard input, and returns its standard output.
func (s *Server) CLI(stdin string, args ...string) string {
	s.t.Helper()
	// Flags follow the command's verb: mfad user add --data-dir D NAME.
	verb := min(2, len(args))
	full := append(append(append([]string{}, args[:verb]...), "--data-dir", s.DataDir), args[verb:]...)
	cmd := exec.Command(Binary(s.t), full...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("mfad %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// AddUser creates a user through the mfad command and returns its id line.
func (s *Server) AddUser(name, password string, flags ...string) string {
	s.t.Helper()
	return s.CLI(password+"\n", append([]string{"user", "add"}, append(flags, name)...)...)
}
