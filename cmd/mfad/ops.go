package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/mfad/mfad/internal/stores"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/sqlite"
)

// migrationChecker is a store that can tell whether its schema is current
// (store/sqlite and store/postgres both can).
type migrationChecker interface {
	Pending(ctx context.Context) (int, error)
}

var (
	_ migrationChecker = (*sqlite.DB)(nil)
	_ migrationChecker = (*postgres.DB)(nil)
	_ stores.Backuper  = (*sqlite.DB)(nil)
)

// healthz answers 200 while the process serves.
func healthz(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the database answers and its schema has no
// pending migration, else 503 with the reason; a load balancer sends no
// traffic to an instance that is not ready.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	unavailable := func(reason string, err error, extra ...any) {
		a.log.WarnContext(ctx, "not ready", append([]any{"reason", reason, "err", err}, extra...)...)
		out := map[string]any{"status": "unavailable", "reason": reason}
		for i := 0; i+1 < len(extra); i += 2 {
			out[extra[i].(string)] = extra[i+1]
		}
		httpx.WriteJSON(w, http.StatusServiceUnavailable, out)
	}
	if err := a.store.Ping(ctx); err != nil {
		unavailable("database unreachable", err)
		return
	}
	if mc, ok := a.store.(migrationChecker); ok {
		n, err := mc.Pending(ctx)
		if err != nil {
			unavailable("database error", err)
			return
		}
		if n > 0 {
			unavailable("migrations pending", nil, "pending_migrations", n)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// audit reads the audit log.
//
//	mfad audit export [--since TIME|DURATION] [--user NAME]
func (e *cmdEnv) audit(ctx context.Context, args []string) error {
	const usage = "audit export [--since 2026-01-02T15:04:05Z|2026-01-02|24h|30d] [--user NAME]"
	if len(args) == 0 {
		return e.badArgs("missing subcommand", usage)
	}
	if args[0] != "export" {
		return e.badArgs(fmt.Sprintf("unknown subcommand %q", args[0]), usage)
	}
	var since, user string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "only events at or after this time: RFC 3339, a date, or a duration back from now (24h, 30d)")
		fs.StringVar(&user, "user", "", "only events about this user (name or email)")
	}
	return e.withApp(ctx, "audit export", args[1:], extra, 0, usage, func(a *app, act auth.Actor, rest []string) error {
		f := mfad.AuditFilter{}
		if since != "" {
			t, err := parseSince(since, a.clock.Now())
			if err != nil {
				return err
			}
			f.Since = t
		}
		if user != "" {
			u, err := a.svc.GetUser(ctx, act, auth.ByLogin(user))
			if err != nil {
				return err
			}
			f.UserID = u.ID
		}
		return exportAudit(ctx, a.svc, act, f, e.stdout)
	})
}

// parseSince reads --since: an RFC 3339 time, a date (UTC midnight), or a
// duration back from now, with d for days.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time, a date (2006-01-02) or a duration (24h, 30d)", s)
}

// auditLine is one exported event.
type auditLine struct {
	ID         int64  `json:"id"`
	Time       string `json:"time"`
	ActorID    int64  `json:"actor_id"`
	UserID     int64  `json:"user_id"`
	Action     string `json:"action"`
	Result     string `json:"result"`
	RemoteAddr string `json:"remote_addr"`
	Dialect    string `json:"dialect"`
	Detail     string `json:"detail"`
}

// exportAudit writes the events f selects as JSON lines, oldest first. The
// core pages newest first, so a first pass notes where each page of 1000
// begins and a second writes the pages in reverse: memory stays small
// however long the log, and events appended meanwhile are left out.
func exportAudit(ctx context.Context, svc *auth.Service, act auth.Actor, f mfad.AuditFilter, w io.Writer) error {
	const page = 1000
	f.Limit = page
	var cursors []int64 // BeforeID of each page, newest page first
	for before := int64(0); ; {
		f.BeforeID = before
		evs, err := svc.Audit(ctx, act, f)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		if before == 0 {
			before = evs[0].ID + 1 // fixes the newest page against new events
		}
		cursors = append(cursors, before)
		before = evs[len(evs)-1].ID
		if len(evs) < page {
			break
		}
	}
	enc := json.NewEncoder(w)
	for _, before := range slices.Backward(cursors) {
		f.BeforeID = before
		evs, err := svc.Audit(ctx, act, f)
		if err != nil {
			return err
		}
		for _, ev := range slices.Backward(evs) {
			line := auditLine{ID: ev.ID, Time: ev.Time.UTC().Format(time.RFC3339Nano), ActorID: ev.ActorID, UserID: ev.UserID,
				Action: ev.Action, Result: ev.Result, RemoteAddr: ev.RemoteAddr, Dialect: ev.Dialect, Detail: ev.Detail}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
	}
	return nil
}

// backup writes a consistent copy of the SQLite database while mfad runs.
//
//	mfad backup FILE
func (e *cmdEnv) backup(ctx context.Context, args []string) error {
	c, rest, err := e.parse("backup", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 1, "backup FILE"); err != nil {
		return err
	}
	st := c.store()
	file := st.File(c.spec(nil))
	if file == "" {
		return errors.New("backup copies the database file of an embedded store; " + st.BackupHint)
	}
	if err := exists(file, "database"); err != nil {
		return err
	}
	db, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	b, ok := db.(stores.Backuper)
	if !ok {
		return errors.New("this database cannot be backed up by mfad")
	}
	// The directory of the copy is made if missing, private as the data
	// dir: the copy holds sealed secrets and password hashes.
	if err := os.MkdirAll(filepath.Dir(rest[0]), 0o700); err != nil {
		return err
	}
	if err := b.Backup(ctx, rest[0]); err != nil {
		return err
	}
	fi, err := os.Stat(rest[0])
	if err != nil {
		return err
	}
	keys := "MFAD_MASTER_KEY"
	if c.MasterKey == "" {
		keys = keyPath(c)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes). It holds sealed secrets only: keep the master key (%s) apart from it, or it restores nothing.\n",
		rest[0], fi.Size(), keys)
	return nil
}

// importEntry is one secret to import: a user and a key.
type importEntry struct {
	line int
	user string
	key  otp.Key
	skip string // why this entry is no TOTP key to import (an HOTP key): reported, and not a failure
}

// importCmd turns 2FA on for existing users with the TOTP secrets they
// already have in another product.
//
//	mfad import [--format auto|uri|migration|csv] [--force] FILE|-
//
// uri: one otpauth://totp/ URI per line; the account of its label names
// the user (name or email). csv: user,secret[,algorithm,digits,period],
// defaults SHA1, 6, 30; a first line "user,secret,..." is a header. Lines
// starting with # are comments. migration: Google Authenticator's
// "Transfer accounts" export, otpauth-migration://offline?data=... (what
// its QR code holds), one per line; each account's name is the user.
func (e *cmdEnv) importCmd(ctx context.Context, args []string) error {
	var format, pskcKeyFile, pskcPasswordFile string
	var force bool
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&pskcKeyFile, "pskc-key-file", "", "file holding the pre-shared AES-128 key (32 hex digits) of an encrypted PSKC file")
		fs.StringVar(&pskcPasswordFile, "pskc-password-file", "", "file holding the password of a PSKC file whose key is derived from one (PBKDF2, RFC 6030 §6.2)")
		fs.StringVar(&format, "format", "auto", "auto, uri (otpauth:// URIs, one per line), migration (Google Authenticator's otpauth-migration:// export), pskc (RFC 6030 XML; the UserId names the user) or csv (user,secret,algorithm,digits,period)")
		fs.BoolVar(&force, "force", false, "import secrets under 80 bits and published example secrets too")
	}
	return e.withApp(ctx, "import", args, extra, 1, "import [--format auto|uri|migration|pskc|csv] [--pskc-key-file FILE] [--pskc-password-file FILE] [--force] FILE|-", func(a *app, act auth.Actor, rest []string) error {
		data, err := e.readInput(rest[0])
		if err != nil {
			return err
		}
		var psk []byte
		if pskcKeyFile != "" {
			if psk, err = readPSK(pskcKeyFile); err != nil {
				return err
			}
		}
		var password []byte
		if pskcPasswordFile != "" {
			if password, err = readPassword(pskcPasswordFile); err != nil {
				return err
			}
		}
		entries, err := parseImportKey(data, format, psk, password)
		if err != nil {
			return err
		}
		return e.importEntries(ctx, a.svc, act, entries, force)
	})
}

// importEntries imports each entry and reports each: an entry that is no
// TOTP key (an HOTP account in a Google Authenticator export or a PSKC
// file) is skipped and reported; the command fails only when a user was
// refused (unknown, a weak secret, 2FA already on) or nothing was
// imported at all.
func (e *cmdEnv) importEntries(ctx context.Context, svc *auth.Service, act auth.Actor, entries []importEntry, force bool) error {
	imported, refused, skipped := 0, 0, 0
	for _, en := range entries {
		if en.skip != "" {
			skipped++
			fmt.Fprintf(e.stderr, "line %d: %s: skipped: %s\n", en.line, en.user, en.skip)
			continue
		}
		if err := importOne(ctx, svc, act, en, force); err != nil {
			refused++
			fmt.Fprintf(e.stderr, "line %d: %s: not imported: %s\n", en.line, en.user, mfad.ErrorMessage(err))
			continue
		}
		imported++
		k := en.key.Normalize()
		fmt.Fprintf(e.stdout, "line %d: %s: 2FA on (%s, %d digits, %d s)\n", en.line, en.user, k.Algorithm, k.Digits, k.Period)
	}
	fmt.Fprintf(e.stdout, "imported %d of %d (%d skipped, %d refused)\n", imported, len(entries), skipped, refused)
	switch {
	case refused > 0:
		return fmt.Errorf("%d of %d not imported", refused, len(entries))
	case imported == 0:
		return fmt.Errorf("nothing imported: none of the %d entries is a TOTP key mfad can use", len(entries))
	}
	return nil
}

func importOne(ctx context.Context, svc *auth.Service, act auth.Actor, en importEntry, force bool) error {
	u, err := svc.GetUser(ctx, act, auth.ByLogin(en.user))
	if err != nil {
		return err
	}
	return svc.ImportFactor(ctx, act, u.ID, en.key, force)
}

// readInput reads a file, or standard input for "-", up to 16 MiB.
func (e *cmdEnv) readInput(name string) ([]byte, error) {
	r := e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	const limit = 16 << 20
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, limit>>20)
	}
	return b, nil
}

// readPSK reads a PSKC pre-shared key: 32 hex digits in a file.
func readPSK(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != 16 {
		return nil, fmt.Errorf("%s: want 32 hex digits (an AES-128 key)", path)
	}
	return k, nil
}

// readPassword reads a PSKC password: the file's first line.
func readPassword(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSuffix(line, "\r"); line == "" {
		return nil, fmt.Errorf("%s: the first line holds no password", path)
	}
	return []byte(line), nil
}

// parseImportKey is parseImport with PSKC (RFC 6030) files too: a file
// that starts as XML is one; psk, or a key derived from password, opens
// its encrypted keys.
func parseImportKey(data []byte, format string, psk, password []byte) ([]importEntry, error) {
	if format == "auto" && strings.HasPrefix(strings.TrimSpace(string(data)), "<") {
		format = "pskc"
	}
	if format != "pskc" {
		return parseImport(data, format)
	}
	keys, err := otp.ParsePSKCWith(data, psk, password)
	if err != nil {
		return nil, err
	}
	out := make([]importEntry, len(keys))
	for i, k := range keys {
		out[i] = importEntry{line: i + 1, user: k.UserID, key: k.Key}
		switch {
		case k.Type != "totp":
			out[i].skip = "an HOTP (counter) key: mfad is TOTP only"
		case k.UserID == "":
			out[i].skip = "no UserId names its user"
		}
	}
	return out, nil
}

// parseImport reads the entries of an import file. Errors name the line
// and the field, never the secret.
func parseImport(data []byte, format string) ([]importEntry, error) {
	if format == "auto" {
		format = "csv"
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if len(line) >= 10 && strings.EqualFold(line[:10], "otpauth://") {
				format = "uri"
			}
			if len(line) >= 20 && strings.EqualFold(line[:20], "otpauth-migration://") {
				format = "migration"
			}
			break
		}
	}
	switch format {
	case "uri":
		return parseURIs(data)
	case "migration":
		return parseMigrations(data)
	case "csv":
		return parseCSV(data)
	}
	return nil, fmt.Errorf("--format %q: want auto, uri, migration or csv", format)
}

// parseLines runs entries on each line of data that is neither blank nor a
// # comment, numbering lines from 1 for the errors.
func parseLines(data []byte, entries func(n int, line string) ([]importEntry, error)) ([]importEntry, error) {
	var out []importEntry
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		es, err := entries(n, line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// parseMigrations reads Google Authenticator exports, one per line; a
// line holds several accounts.
func parseMigrations(data []byte) ([]importEntry, error) {
	return parseLines(data, func(n int, line string) ([]importEntry, error) {
		accounts, err := otp.ParseMigrationURI(line)
		if err != nil {
			return nil, err
		}
		out := make([]importEntry, 0, len(accounts))
		for i, a := range accounts {
			en := importEntry{line: n, user: a.Key.Account, key: a.Key, skip: a.Skip}
			if en.user == "" {
				en.user = fmt.Sprintf("account %d", i+1)
				if en.skip == "" {
					en.skip = "no name to find its user by"
				}
			}
			out = append(out, en)
		}
		return out, nil
	})
}

func parseURIs(data []byte) ([]importEntry, error) {
	return parseLines(data, func(n int, line string) ([]importEntry, error) {
		k, err := otp.ParseURI(line)
		if err != nil {
			return nil, err
		}
		if k.Account == "" {
			return nil, errors.New("the URI's label names no account (otpauth://totp/Issuer:USER?...)")
		}
		return []importEntry{{line: n, user: k.Account, key: k}}, nil
	})
}

func parseCSV(data []byte) ([]importEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	var out []importEntry
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return nil, fmt.Errorf("line %d: malformed CSV (%v)", perr.Line, perr.Err)
			}
			return nil, err
		}
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "user") {
			continue
		}
		en, err := csvEntry(rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		en.line = line
		out = append(out, en)
	}
	return out, nil
}

func csvEntry(rec []string) (importEntry, error) {
	if len(rec) < 2 || len(rec) > 5 {
		return importEntry{}, fmt.Errorf("want user,secret[,algorithm,digits,period], not %d fields", len(rec))
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	field := func(i int) string {
		if i < len(rec) {
			return rec[i]
		}
		return ""
	}
	if rec[0] == "" {
		return importEntry{}, errors.New("empty user")
	}
	en := importEntry{user: rec[0], key: otp.Key{Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}}
	var err error
	if en.key.Secret, err = otp.DecodeSecret(rec[1]); err != nil {
		return en, fmt.Errorf("secret: %v", err)
	}
	if v := field(2); v != "" {
		if en.key.Algorithm, err = otp.ParseAlgorithm(v); err != nil {
			return en, fmt.Errorf("algorithm: %v", err)
		}
	}
	for _, p := range []struct {
		i    int
		name string
		dst  *int
	}{{3, "digits", &en.key.Digits}, {4, "period", &en.key.Period}} {
		if v := field(p.i); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return en, fmt.Errorf("%s: not a number", p.name)
			}
			*p.dst = n
		}
	}
	if err := en.key.Validate(); err != nil {
		return en, err
	}
	return en, nil
}
