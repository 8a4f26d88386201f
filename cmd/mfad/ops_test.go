package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// opsRun runs the mfad command in-process on the data dir dir, with cheap
// password hashing; the flags go after the command's words.
func opsRun(t *testing.T, dir, stdin string, words int, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	full := append(append(append([]string{}, args[:words]...), "--data-dir", dir, "--argon-memory", "64", "--argon-time", "1"), args[words:]...)
	var out, errb bytes.Buffer
	err = run(context.Background(), full, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// opsApp opens mfad on a new data dir, in-process.
func opsApp(t *testing.T, args ...string) (*app, string) {
	t.Helper()
	cleanEnv(t)
	dir := t.TempDir()
	var errb bytes.Buffer
	e := &cmdEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb}
	c, _, err := e.parse("serve", append([]string{"--data-dir", dir, "--argon-memory", "64", "--argon-time", "1"}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.create(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, dir
}

// fakeStore is a store whose health the test decides.
type fakeStore struct {
	mfad.Store
	pingErr    error
	pending    int
	pendingErr error
}

func (s *fakeStore) Ping(context.Context) error { return s.pingErr }

type pendingStore struct{ *fakeStore }

func (s pendingStore) Pending(context.Context) (int, error) { return s.pending, s.pendingErr }

func TestHealthAndReadiness(t *testing.T) {
	real, _ := opsApp(t)
	get := func(h http.HandlerFunc) (int, map[string]any) {
		w := httptest.NewRecorder()
		h(w, httptest.NewRequest("GET", "/", nil))
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%q: %v", w.Body.String(), err)
		}
		return w.Code, out
	}
	if code, out := get(healthz); code != 200 || out["status"] != "ok" {
		t.Fatalf("healthz: %d %v", code, out)
	}
	if code, out := get(real.readyz); code != 200 || out["status"] != "ok" {
		t.Fatalf("readyz on a migrated SQLite database: %d %v", code, out)
	}
	quiet := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name   string
		store  mfad.Store
		code   int
		reason string
	}{
		{"ready", pendingStore{&fakeStore{}}, 200, ""},
		{"no migration check", &fakeStore{}, 200, ""},
		{"database down", pendingStore{&fakeStore{pingErr: errors.New("connection refused")}}, 503, "database unreachable"},
		{"migrations pending", pendingStore{&fakeStore{pending: 2}}, 503, "migrations pending"},
		{"migration check fails", pendingStore{&fakeStore{pendingErr: errors.New("no table")}}, 503, "database error"},
	} {
		a := &app{store: tc.store, log: quiet}
		code, out := get(a.readyz)
		if code != tc.code || (tc.reason != "" && out["reason"] != tc.reason) {
			t.Errorf("%s: readyz %d %v, want %d %q", tc.name, code, out, tc.code, tc.reason)
		}
		if tc.name == "migrations pending" && out["pending_migrations"] != float64(2) {
			t.Errorf("pending count: %v", out)
		}
	}
}

// appendEvents writes n audit events, one second apart from start, about
// user id uid.
func appendEvents(t *testing.T, a *app, start time.Time, n int, uid int64, action string) {
	t.Helper()
	err := a.store.Update(t.Context(), func(tx mfad.Tx) error {
		for i := range n {
			if err := tx.AppendEvent(&mfad.Event{Time: start.Add(time.Duration(i) * time.Second), UserID: uid,
				Action: action, Result: "ok", RemoteAddr: "192.0.2.1", Dialect: "test", Detail: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countEvents(t *testing.T, a *app, action string) int {
	t.Helper()
	evs, err := a.svc.Audit(t.Context(), auth.System("test"), mfad.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

// TestAuditRetention runs the maintenance loop of serve with
// --audit-retention: events older than the retention go, newer ones stay;
// 0 keeps everything.
func TestAuditRetention(t *testing.T) {
	for _, tc := range []struct {
		retention string
		wantOld   int
	}{{"720h", 0}, {"0", 3}} {
		a, _ := opsApp(t, "--audit-retention", tc.retention)
		now := a.clock.Now()
		appendEvents(t, a, now.Add(-31*24*time.Hour), 3, 0, "old")
		appendEvents(t, a, now.Add(-29*24*time.Hour), 2, 0, "recent")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { a.maintain(ctx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for countEvents(t, a, "old") != tc.wantOld && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		if got := countEvents(t, a, "old"); got != tc.wantOld {
			t.Errorf("retention %s: %d old events left, want %d", tc.retention, got, tc.wantOld)
		}
		if got := countEvents(t, a, "recent"); got != 2 {
			t.Errorf("retention %s: %d recent events left, want 2", tc.retention, got)
		}
	}
}

func TestAuditExport(t *testing.T) {
	a, dir := opsApp(t)
	u, err := a.svc.CreateUser(t.Context(), auth.System("test"), auth.NewUser{Name: "zoe", Password: "zoe-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	appendEvents(t, a, start, 2500, 0, "bulk") // more than two pages of 1000
	appendEvents(t, a, start.Add(time.Hour), 3, u.ID, "about.zoe")
	a.Close()

	lines := func(args ...string) []auditLine {
		t.Helper()
		out, errs, err := opsRun(t, dir, "", 2, append([]string{"audit", "export"}, args...)...)
		if err != nil {
			t.Fatalf("audit export %v: %v %s", args, err, errs)
		}
		var got []auditLine
		for line := range strings.Lines(out) {
			var l auditLine
			dec := json.NewDecoder(strings.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&l); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, l)
		}
		return got
	}
	all := lines()
	if len(all) != 2503+1 { // and the user's creation
		t.Fatalf("%d events exported, want 2504", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("not oldest first at %d: %d after %d", i, all[i].ID, all[i-1].ID)
		}
	}
	first := all[1]
	if first.Action != "bulk" || first.Detail != "0" || first.Time != "2030-01-01T00:00:00Z" || first.RemoteAddr != "192.0.2.1" || first.Dialect != "test" {
		t.Fatalf("first bulk event: %+v", first)
	}
	if got := lines("--since", "2030-01-01T00:41:00Z"); len(got) != 2500-2460+3 { // the user was created now, before 2030
		t.Fatalf("--since a time: %d events: %+v", len(got), got)
	}
	if got := lines("--user", "zoe"); len(got) != 4 || got[0].Action != "user.create" || got[1].Action != "about.zoe" {
		t.Fatalf("--user: %+v", got)
	}
	if got := lines("--since", "2030-01-01"); len(got) != 2503 { // all but the creation, which is now
		t.Fatalf("--since a date: %d events", len(got))
	}
	if got := lines("--since", "1d"); len(got) != 2504 || got[0].Action != "user.create" { // now, and the events dated 2030
		t.Fatalf("--since 1d: %d events", len(got))
	}
	if _, _, err := opsRun(t, dir, "", 2, "audit", "export", "--since", "last tuesday"); err == nil {
		t.Fatal("a bad --since was accepted")
	}
	if _, _, err := opsRun(t, dir, "", 1, "audit"); !errors.Is(err, errUsage) {
		t.Fatalf("audit without export: %v", err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2030-06-01T10:00:00Z":      time.Date(2030, 6, 1, 10, 0, 0, 0, time.UTC),
		"2030-06-01T10:00:00+02:00": time.Date(2030, 6, 1, 8, 0, 0, 0, time.UTC),
		"2030-06-01":                time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC),
		"24h":                       now.Add(-24 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"30d":                       now.Add(-30 * 24 * time.Hour),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5h", "1y", "2030-13-01"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) succeeded", bad)
		}
	}
}

func TestBackupCommand(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := opsRun(t, dir, "pat-password-1\n", 2, "user", "add", "pat"); err != nil {
		t.Fatal(err, errs)
	}
	file := filepath.Join(t.TempDir(), "copy.db")
	out, errs, err := opsRun(t, dir, "", 1, "backup", file)
	if err != nil {
		t.Fatalf("backup: %v %s", err, errs)
	}
	if !strings.Contains(out, "keep the master key ("+filepath.Join(dir, "master.key")+") apart") {
		t.Errorf("backup does not say where the key is: %s", out)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	// The copy is a working database with the same key.
	list, errs, err := opsRun(t, dir, "", 2, "user", "list", "--db", file)
	if err != nil || !strings.Contains(list, "pat") {
		t.Fatalf("user list on the backup: %v %s %s", err, list, errs)
	}
	if _, _, err := opsRun(t, dir, "", 1, "backup", file); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	if _, _, err := opsRun(t, dir, "", 1, "backup"); !errors.Is(err, errUsage) {
		t.Fatalf("backup without a file: %v", err)
	}
	_, _, err = opsRun(t, dir, "", 1, "backup", "--db", "postgres://localhost/x", file+"2")
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %v", err)
	}
}

func TestParseImport(t *testing.T) {
	secret := otp.EncodeSecret([]byte("twenty bytes secret!"))
	csvIn := "# exported from the old server\nuser,secret,algorithm,digits,period\n" +
		"alice," + secret + ",SHA256,8,60\n" +
		"bob@example.org, " + strings.ToLower(secret) + "\n" +
		"\"carol\"," + secret + ",,7,\n"
	got, err := parseImport([]byte(csvIn), "auto")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].user != "alice" || got[0].line != 3 || got[0].key.Algorithm != otp.SHA256 || got[0].key.Digits != 8 ||
		got[0].key.Period != 60 || got[1].user != "bob@example.org" || got[1].key.Digits != 6 || got[1].key.Period != 30 ||
		got[2].key.Digits != 7 || got[2].key.Algorithm != otp.SHA1 || string(got[1].key.Secret) != "twenty bytes secret!" {
		t.Fatalf("csv: %+v", got)
	}
	uris := "\n# Google Authenticator export\n" +
		"otpauth://totp/Old%20Server:alice?secret=" + secret + "&issuer=Old%20Server&algorithm=SHA512&digits=8\n" +
		"OTPAUTH://totp/bob@example.org?secret=" + secret + "\n"
	got, err = parseImport([]byte(uris), "auto")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].user != "alice" || got[0].line != 3 || got[0].key.Algorithm != otp.SHA512 || got[1].user != "bob@example.org" {
		t.Fatalf("uris: %+v", got)
	}
	for name, tc := range map[string]struct{ in, format, want string }{
		"bad secret":           {"alice,NOT-BASE32-1\n", "csv", "line 1: secret"},
		"too many fields":      {"alice," + secret + ",SHA1,6,30,x\n", "csv", "line 1: want user,secret"},
		"one field":            {"alice\n", "csv", "not 1 fields"},
		"bad algorithm":        {"alice," + secret + ",MD5\n", "csv", "algorithm"},
		"bad digits":           {"alice," + secret + ",SHA1,x\n", "csv", "digits: not a number"},
		"digits out of range":  {"alice," + secret + ",SHA1,9\n", "csv", "digits must be 6, 7 or 8"},
		"empty user":           {"," + secret + "\n", "csv", "empty user"},
		"malformed csv":        {"alice,\"" + secret + "\n", "csv", "malformed CSV"},
		"uri without account":  {"otpauth://totp/?secret=" + secret + "\n", "uri", "line 1"},
		"not a uri":            {"alice," + secret + "\n", "uri", "line 1"},
		"hotp":                 {"otpauth://hotp/x:alice?secret=" + secret + "&counter=1\n", "auto", "hotp"},
		"unknown format":       {"", "xml", "want auto, uri, migration or csv"},
		"second bad uri line":  {"otpauth://totp/a?secret=" + secret + "\notpauth://totp/b?secret=0\n", "auto", "line 2"},
		"error names the line": {"user,secret\nalice," + secret + "\nbob,A\n", "csv", "line 3"},
	} {
		_, err := parseImport([]byte(tc.in), tc.format)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), strings.ToLower(secret)) {
			t.Errorf("%s: the error quotes the secret: %v", name, err)
		}
	}
}

func TestImportCommand(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, errs, err := opsRun(t, dir, u+"-password-1\n", 2, "user", "add", "--email", u+"@example.org", u); err != nil {
			t.Fatal(err, errs)
		}
	}
	aliceSecret, _ := otp.GenerateSecret(20)
	bobSecret, _ := otp.GenerateSecret(20)
	in := "user,secret,algorithm,digits,period\n" +
		"alice," + otp.EncodeSecret(aliceSecret) + ",SHA256,8,30\n" +
		"bob@example.org," + otp.EncodeSecret(bobSecret) + "\n" +
		"carol,JBSWY3DPEHPK3PXP\n" + // the Google example: refused
		"nobody," + otp.EncodeSecret(bobSecret) + "\n" // no such user
	out, errs, err := opsRun(t, dir, in, 1, "import", "-")
	if err == nil || !strings.Contains(err.Error(), "2 of 4 not imported") {
		t.Fatalf("import: %v\n%s\n%s", err, out, errs)
	}
	for _, want := range []string{"line 2: alice: 2FA on (SHA256, 8 digits, 30 s)", "line 3: bob@example.org: 2FA on (SHA1, 6 digits, 30 s)", "imported 2 of 4"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"line 4: carol: not imported: refusing a weak secret: a published example secret", "line 5: nobody: not imported: user not found"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q:\n%s", want, errs)
		}
	}
	for _, s := range []string{otp.EncodeSecret(aliceSecret), otp.EncodeSecret(bobSecret), "JBSWY3DPEHPK3PXP"} {
		if strings.Contains(out+errs, s) {
			t.Fatal("import printed a secret")
		}
	}
	// Again: alice and bob are enrolled now, carol is forced through.
	in = "otpauth://totp/Old:alice?secret=" + otp.EncodeSecret(aliceSecret) + "\notpauth://totp/Old:carol?secret=JBSWY3DPEHPK3PXP\n"
	file := filepath.Join(t.TempDir(), "uris.txt")
	if err := os.WriteFile(file, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, err = opsRun(t, dir, "", 1, "import", "--force", file)
	if err == nil || !strings.Contains(errs, "alice: not imported: the user has two-factor authentication on already") || !strings.Contains(out, "carol: 2FA on") {
		t.Fatalf("second import: %v\n%s\n%s", err, out, errs)
	}

	// Alice logs in with a code of her old key (the next time step: codes
	// up to the import count as used).
	a, _ := opsApp(t)
	a.Close()
	cleanEnv(t)
	e := &cmdEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	c, _, err := e.parse("serve", []string{"--data-dir", dir, "--argon-memory", "64", "--argon-time", "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	app, err := e.open(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.clock.offset.Add(int64(30 * time.Second))
	client := auth.Client{Addr: "192.0.2.9", Dialect: "test"}
	res, err := app.svc.Login(t.Context(), client, auth.LoginRequest{Login: "alice", Password: "alice-password-1"})
	if err != nil || res.Ticket == "" {
		t.Fatalf("alice's login must ask for the second factor: %+v %v", res, err)
	}
	key := otp.Key{Secret: aliceSecret, Algorithm: otp.SHA256, Digits: 8, Period: 30}
	if _, err := app.svc.CompleteLogin(t.Context(), client, auth.TicketRequest{Ticket: res.Ticket, Code: key.Code(app.clock.Now())}); err != nil {
		t.Fatalf("alice's imported key: %v", err)
	}
	// The audit log says who imported what, and no secret.
	var buf bytes.Buffer
	if err := exportAudit(t.Context(), app.svc, auth.System("test"), mfad.AuditFilter{}, &buf); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `"action":"2fa.import"`); n != 3 {
		t.Fatalf("%d import events, want 3:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), `"detail":"SHA1, 6 digits, 30 s; forced: a published example secret`) {
		t.Fatalf("the forced import is not marked:\n%s", buf.String())
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "mfad dev (revision ") || !strings.Contains(out.String(), "go1.") {
		t.Fatalf("version: %q", out.String())
	}
}
