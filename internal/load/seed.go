package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// usersFile is what --users-file keeps: enough to prove codes as the
// seeded users again in a later run.
type usersFile struct {
	URL      string
	RunID    string
	Password string
	Secrets  [][]byte
	Tokens   []string
	Last     []int64 // the last time step each user proved
	Plain    []string
	Cursor   uint64 // where the round robin over the users goes on
}

// loadUsers reads --users-file if it exists; it must hold at least
// --users users seeded into the same server.
func (l *loader) loadUsers() (bool, error) {
	if l.f.UsersFile == "" {
		return false, nil
	}
	b, err := os.ReadFile(l.f.UsersFile)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var uf usersFile
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&uf); err != nil {
		return false, fmt.Errorf("%s: %w", l.f.UsersFile, err)
	}
	switch {
	case uf.URL != l.f.URL:
		return false, fmt.Errorf("%s holds users of %s, not of %s", l.f.UsersFile, uf.URL, l.f.URL)
	case len(uf.Secrets) < l.f.Users:
		return false, fmt.Errorf("%s holds %d users; --users asks for %d", l.f.UsersFile, len(uf.Secrets), l.f.Users)
	}
	l.runID, l.password, l.plain = uf.RunID, uf.Password, uf.Plain
	l.users = make([]loadUser, len(uf.Secrets))
	for i := range l.users {
		u := &l.users[i]
		u.key = otp.Key{Secret: uf.Secrets[i], Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
		u.token = uf.Tokens[i]
		u.last.Store(uf.Last[i])
	}
	l.users = l.users[:l.f.Users]
	l.cursor.Store(uf.Cursor)
	l.saved = &uf
	return true, nil
}

// saveUsers writes --users-file (mode 0600: it holds the test users'
// secrets and session tokens).
func (l *loader) saveUsers() error {
	if l.f.UsersFile == "" {
		return nil
	}
	uf := l.saved
	if uf == nil {
		uf = &usersFile{URL: l.f.URL, RunID: l.runID, Password: l.password, Plain: l.plain}
		uf.Secrets, uf.Tokens, uf.Last = make([][]byte, len(l.users)), make([]string, len(l.users)), make([]int64, len(l.users))
		for i := range l.users {
			uf.Secrets[i], uf.Tokens[i] = l.users[i].key.Secret, l.users[i].token
		}
		l.saved = uf
	}
	for i := range l.users {
		uf.Last[i] = l.users[i].last.Load()
	}
	uf.Cursor, uf.Plain = l.cursor.Load(), l.plain
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(uf); err != nil {
		return err
	}
	tmp := l.f.UsersFile + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, l.f.UsersFile)
}

// seedAPI creates n2 users with 2FA and nPlain without through the REST
// API as the admin: create, log in, prepare, confirm. Each costs the
// server two argon2id hashes.
func (l *loader) seedAPI(ctx context.Context, n2, nPlain int) error {
	pw := l.f.AdminPassword
	if pw == "" {
		b, err := os.ReadFile(filepath.Join(l.f.DataDir, "admin-password"))
		if err != nil {
			return fmt.Errorf("the admin password: set MFAD_ADMIN_PASSWORD or give the server's --data-dir: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	var login struct {
		Status string `json:"status"`
		Access string `json:"access_token"`
	}
	if err := l.post(ctx, "/v1/login", "", map[string]string{"login": l.f.AdminName, "password": pw}, http.StatusOK, &login); err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	if login.Access == "" {
		return fmt.Errorf("admin login answered %q without a session (2FA on the admin?); use --seed-direct", login.Status)
	}
	admin := login.Access
	total, base := n2+nPlain, len(l.plain)
	l.plain = append(l.plain, make([]string, nPlain)...)
	var done atomic.Int64
	stop := l.ticker(func() { fmt.Fprintf(l.f.Stdout, "seeding: %d/%d users\n", done.Load(), total) })
	defer stop()
	jobs := make(chan int)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				var err error
				if i < n2 {
					err = l.seedOne(ctx, admin, i, -1)
				} else {
					err = l.seedOne(ctx, admin, -1, base+i-n2)
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					continue
				}
				done.Add(1)
			}
		})
	}
	for i := 0; i < total; i++ {
		select {
		case jobs <- i:
			continue
		case err := <-errc:
			close(jobs)
			wg.Wait()
			return err
		case <-ctx.Done():
		}
		break
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	return ctx.Err()
}

// seedOne creates the user with 2FA number i, or else the one without
// number p.
func (l *loader) seedOne(ctx context.Context, admin string, i, p int) error {
	name := l.name(i)
	if i < 0 {
		name = l.plainName(p)
	}
	if err := l.post(ctx, "/v1/users", admin, map[string]string{"name": name, "password": l.password}, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	var login struct {
		Access string `json:"access_token"`
	}
	if err := l.post(ctx, "/v1/login", "", map[string]string{"login": name, "password": l.password}, http.StatusOK, &login); err != nil {
		return fmt.Errorf("logging in %s: %w", name, err)
	}
	if i < 0 {
		l.plain[p] = login.Access
		return nil
	}
	var prep struct {
		Secret string `json:"secret"`
		Token  string `json:"enrollment_token"`
	}
	if err := l.post(ctx, "/v1/users/me/2fa/prepare", login.Access, map[string]string{}, http.StatusOK, &prep); err != nil {
		return fmt.Errorf("preparing 2FA of %s: %w", name, err)
	}
	secret, err := otp.DecodeSecret(prep.Secret)
	if err != nil {
		return err
	}
	key := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
	// Confirm with the previous step's code (the window accepts it), so
	// the current step's code is still fresh for the scenarios. A server
	// with --window 0 refuses it: then the current one.
	step := time.Now().Unix()/otp.DefaultPeriod - 1
	for {
		body := map[string]string{"enrollment_token": prep.Token, "code": key.CodeAt(step)}
		err := l.post(ctx, "/v1/users/me/2fa/confirm", login.Access, body, http.StatusOK, nil)
		var se *statusError
		if errors.As(err, &se) && se.status == http.StatusUnauthorized && step < time.Now().Unix()/otp.DefaultPeriod {
			step++
			continue
		}
		if err != nil {
			return fmt.Errorf("confirming 2FA of %s: %w", name, err)
		}
		break
	}
	u := &l.users[i]
	u.key, u.token = key, login.Access
	u.last.Store(step)
	return nil
}

// seedDirect writes n2 users with 2FA and nPlain without straight into
// the server's store, in batches of --batch users per transaction, all
// with one argon2id hash computed once.
func (l *loader) seedDirect(ctx context.Context, n2, nPlain int) error {
	svc, closeSvc, err := l.f.OpenService(ctx)
	if err != nil {
		return err
	}
	defer closeSvc()
	act := auth.System("load")
	hash, err := auth.NewSeeder(svc).HashPassword(ctx, act, l.password)
	if err != nil {
		return err
	}
	total, base := n2+nPlain, len(l.plain)
	l.plain = append(l.plain, make([]string, nPlain)...)
	var done atomic.Int64
	stop := l.ticker(func() { fmt.Fprintf(l.f.Stdout, "seeding: %d/%d users\n", done.Load(), total) })
	defer stop()
	// The previous step counts as used, so the current one is fresh.
	last := time.Now().Unix()/otp.DefaultPeriod - 1
	batch := max(1, min(l.f.Batch, 50_000))
	for lo := 0; lo < total; lo += batch {
		hi := min(lo+batch, total)
		seed := auth.Seed{PasswordHash: hash, SessionTTL: 24 * time.Hour, Users: make([]auth.SeedUser, hi-lo)}
		for i := lo; i < hi; i++ {
			su := &seed.Users[i-lo]
			if i >= n2 {
				su.Name = l.plainName(base + i - n2)
				continue
			}
			su.Name, su.LastStep = l.name(i), last
			su.Secret = make([]byte, otp.DefaultSecretSize)
			rand.Read(su.Secret)
		}
		out, err := auth.NewSeeder(svc).SeedUsers(ctx, act, seed)
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			if i >= n2 {
				l.plain[base+i-n2] = out[i-lo].AccessToken
				continue
			}
			u := &l.users[i]
			u.key = otp.Key{Secret: seed.Users[i-lo].Secret, Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
			u.token = out[i-lo].AccessToken
			u.last.Store(last)
		}
		done.Store(int64(hi))
	}
	return nil
}
