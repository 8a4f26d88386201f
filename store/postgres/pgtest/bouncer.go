package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// RequireBouncer, when set, makes a test that needs PgBouncer fail where
// pgbouncer is not installed instead of skipping (.ci/run sets it).
const RequireBouncer = "MFAD_REQUIRE_PGBOUNCER"

// Bouncer is a PgBouncer (Debian's pgbouncer) in transaction pooling mode
// in front of the test server, as production puts one: server connections
// are handed to clients a transaction at a time, and it refuses startup
// parameters it does not know. It stops when the test ends.
type Bouncer struct {
	t    testing.TB
	base *url.URL // the test server's URL
	addr string   // where the bouncer listens
	bin  string
	args []string
	cmd  *exec.Cmd
}

// StartBouncer starts a bouncer for t, skipping the test when PostgreSQL
// or pgbouncer is missing (unless RequireBouncer is set).
func StartBouncer(t testing.TB) *Bouncer {
	t.Helper()
	base, err := url.Parse(URL(t))
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer"
		if _, serr := os.Stat(bin); serr != nil {
			if os.Getenv(RequireBouncer) != "" {
				t.Fatal("pgbouncer is not installed")
			}
			t.Skip("pgbouncer is not installed")
		}
	}
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	port := freePort(t)
	host, pgPort := base.Hostname(), base.Port()
	if pgPort == "" {
		pgPort = "5432"
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = %s
pidfile = %s
`, host, pgPort, port, filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	userName := base.User.Username()
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": strconv.Quote(userName) + ` ""` + "\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 { // it refuses to run as root
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("pgbouncer refuses root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		if err := os.Chown(dir, uid, -1); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"-u", "postgres"}, args...)
	}
	b := &Bouncer{t: t, base: base, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), bin: bin, args: args}
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// Start starts the bouncer (again, after Stop) and waits until it listens.
func (b *Bouncer) Start() {
	b.t.Helper()
	b.cmd = exec.Command(b.bin, b.args...)
	if err := b.cmd.Start(); err != nil {
		b.t.Fatalf("starting pgbouncer: %v", err)
	}
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", b.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if i == 100 {
			b.t.Fatalf("pgbouncer does not listen on %s: %v", b.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the bouncer, as an outage would: clients' connections break
// and new ones are refused until Start.
func (b *Bouncer) Stop() {
	if b.cmd != nil && b.cmd.Process != nil {
		b.cmd.Process.Kill()
		b.cmd.Wait()
		b.cmd = nil
	}
}

// Database creates a new empty database on the test server and returns the
// URL of it through the bouncer, with params added to the query. The
// database is dropped when the test ends. (A pooler refuses search_path as
// a startup parameter, so the tests' schemas are databases here.)
func (b *Bouncer) Database(t testing.TB, params ...string) string {
	t.Helper()
	r := make([]byte, 8)
	rand.Read(r)
	name := "mfad_pgb_" + hex.EncodeToString(r)
	direct := b.base.String()
	if err := Exec(direct, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	t.Cleanup(func() {
		if err := Exec(direct, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("%s: %v", Env, err)
		}
	})
	u := *b.base
	u.Host = b.addr
	u.Path = "/" + name
	q := url.Values{"sslmode": {"disable"}}
	u.RawQuery = q.Encode()
	return WithParams(t, u.String(), params...)
}

// freePort returns a TCP port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
