package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/mfad/mfad/internal/stores"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// maxClockSkew is how far this machine's clock may be from the database
// server's before selftest fails: a third of a TOTP step, so instances
// that each pass cannot disagree on a step by much.
const maxClockSkew = 10 * time.Second

// check is one line of the selftest report.
type check struct {
	name, result string
	ok           bool
}

// selftest runs the checks and returns the report and whether all passed.
func (a *app) selftest(ctx context.Context) ([]check, bool) {
	var out []check
	add := func(name string, err error, okText string) {
		if err != nil {
			out = append(out, check{name, "FAIL: " + err.Error(), false})
			return
		}
		out = append(out, check{name, okText, true})
	}
	out = append(out, otpCheck())
	add("keys", a.checkKeys(ctx), "ok (the key ring opens the database's key check values)")
	if sc, ok := a.store.(stores.ServerClock); ok {
		before := time.Now()
		t, err := sc.ServerTime(ctx)
		rtt := time.Since(before)
		if err == nil {
			skew := t.Sub(before.Add(rtt / 2))
			if skew.Abs() > maxClockSkew {
				way := "behind"
				if skew < 0 {
					way = "ahead of"
				}
				err = fmt.Errorf("this machine's clock is %s %s the database server's (at most %s; TOTP steps are 30 s): fix NTP", skew.Abs().Round(time.Second), way, maxClockSkew)
			}
			add("clock", err, fmt.Sprintf("ok (%s apart from the database server's)", skew.Abs().Round(time.Millisecond)))
		} else {
			add("clock", err, "")
		}
	} else {
		out = append(out, check{"clock", "skipped (SQLite has no server clock to compare with)", true})
	}
	add("users", a.checkEmails(ctx), "ok (every email is one address)")
	ok := true
	for _, c := range out {
		ok = ok && c.ok
	}
	return out, ok
}

// checkEmails finds users whose email is not exactly one address (rows
// from before mfad refused such, issue 26): security mail to them could
// reach several recipients. It names the users, not the addresses.
func (a *app) checkEmails(ctx context.Context) error {
	var bad []string
	for off := 0; ; off += 500 {
		users, total, err := a.svc.ListUsers(ctx, auth.System("selftest"), auth.UserQuery{Offset: off, Limit: 500})
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Email != "" && auth.CheckEmail(u.Email) != nil {
				bad = append(bad, strconv.Quote(u.Name))
			}
		}
		if len(users) == 0 || off+len(users) >= total {
			break
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d users have an email that is not one address (security mail may reach others): %s; recreate them with one address", len(bad), strings.Join(bad, ", "))
	}
	return nil
}

// writeSelftest prints the report: one line per check and a verdict that
// names the build and the time, for pasting into a ticket.
func writeSelftest(w io.Writer, checks []check, ok bool, now time.Time) {
	for _, c := range checks {
		fmt.Fprintf(w, "%-6s %s\n", c.name+":", c.result)
	}
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "mfad selftest: %s (%s, %s)\n", verdict, strings.TrimSpace(version()), now.UTC().Format(time.RFC3339))
}

// logSelftest runs the checks at serve start and logs them: a failure is
// logged as an error for the operator, and the server still starts (the
// key ring was already checked when it opened the database).
func (a *app) logSelftest(ctx context.Context) {
	checks, ok := a.selftest(ctx)
	for _, c := range checks {
		if c.ok {
			a.log.Info("selftest", "check", c.name, "result", c.result)
		} else {
			a.log.Error("selftest", "check", c.name, "result", c.result)
		}
	}
	if !ok {
		a.log.Error("selftest failed: run mfad selftest for the report")
	}
}

// selftestCmd is mfad selftest: the same checks as at serve start. Every
// failure ends in the report and its FAIL verdict on standard output: a
// wrong master key is the keys check's, and a database that does not open
// at all is a store line of its own.
func (e *cmdEnv) selftestCmd(ctx context.Context, args []string) error {
	c, rest, err := e.parse("selftest", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "selftest"); err != nil {
		return err
	}
	var checks []check
	ok := false
	err = mustExist(c)
	var a *app
	if err == nil {
		a, err = e.assemble(ctx, c, false)
	}
	if err == nil {
		defer a.Close()
		checks, ok = a.selftest(ctx)
	} else {
		checks = []check{otpCheck(), {"store", "FAIL: " + err.Error(), false}}
	}
	writeSelftest(e.stdout, checks, ok, time.Now())
	if !ok {
		return errors.New("selftest failed")
	}
	return nil
}

// otpCheck runs the RFC test vectors through this build's otp package.
func otpCheck() check {
	if err := otp.SelfTest(); err != nil {
		return check{"otp", "FAIL: " + err.Error(), false}
	}
	return check{"otp", "ok (RFC 4226 and RFC 6238 vectors, SHA1/SHA256/SHA512)", true}
}
