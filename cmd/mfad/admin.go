package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// withApp opens mfad for an administration command run on the server, as
// the system actor.
func (e *cmdEnv) withApp(ctx context.Context, name string, args []string, extra func(*flag.FlagSet), fn func(a *app, act auth.Actor, rest []string) error) error {
	c, rest, err := e.parse(name, args, extra)
	if err != nil {
		return err
	}
	a, err := e.open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, auth.System("cli"), rest)
}

func (e *cmdEnv) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return e.usageErr("user add|list|delete|passwd")
	}
	var email string
	var admin bool
	var id int64
	extra := func(fs *flag.FlagSet) {
		if args[0] == "add" {
			fs.StringVar(&email, "email", "", "email address")
			fs.BoolVar(&admin, "admin", false, "make the user an administrator")
			fs.Int64Var(&id, "id", 0, "numeric user id (default: next free)")
		}
	}
	return e.withApp(ctx, "user "+args[0], args[1:], extra, func(a *app, act auth.Actor, rest []string) error {
		switch args[0] {
		case "add":
			return e.userAdd(ctx, a, act, rest, email, admin, id)
		case "list":
			return e.userList(ctx, a, act)
		case "delete":
			return e.onUser(ctx, a, act, rest, func(u *auth.UserInfo) error { return a.svc.DeleteUser(ctx, act, u.ID) }, "deleted")
		case "passwd":
			return e.onUser(ctx, a, act, rest, func(u *auth.UserInfo) error {
				pw, err := e.readSecret("MFAD_PASSWORD")
				if err != nil {
					return err
				}
				return a.svc.ChangePassword(ctx, act, auth.PasswordChange{UserID: u.ID, New: pw})
			}, "password changed")
		}
		return e.usageErr("user add|list|delete|passwd")
	})
}

func (e *cmdEnv) userAdd(ctx context.Context, a *app, act auth.Actor, rest []string, email string, admin bool, id int64) error {
	if len(rest) != 1 {
		return e.usageErr("user add NAME [--email E] [--admin] [--id N]")
	}
	pw, err := e.readSecret("MFAD_PASSWORD")
	if err != nil {
		return err
	}
	role := mfad.RoleUser
	if admin {
		role = mfad.RoleAdmin
	}
	u, err := a.svc.CreateUser(ctx, act, auth.NewUser{ID: id, Name: rest[0], Email: email, Password: pw, Role: role})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created user %d %s\n", u.ID, u.Name)
	return nil
}

func (e *cmdEnv) userList(ctx context.Context, a *app, act auth.Actor) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tROLE\t2FA\tLOCKED")
	for off := 0; ; off += 1000 {
		users, total, err := a.svc.ListUsers(ctx, act, mfad.UserFilter{Offset: off, Limit: 1000})
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%v\n", u.ID, u.Name, u.Email, u.Role, onOff(u.MFAEnabled), u.Locked)
		}
		if off+len(users) >= total || len(users) == 0 {
			break
		}
	}
	return tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// onUser runs fn on the user named by the only argument.
func (e *cmdEnv) onUser(ctx context.Context, a *app, act auth.Actor, rest []string, fn func(*auth.UserInfo) error, done string) error {
	if len(rest) != 1 {
		return e.usageErr("NAME expected")
	}
	u, err := a.svc.LookupUser(ctx, act, rest[0])
	if err != nil {
		return err
	}
	if err := fn(u); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", u.Name, done)
	return nil
}

func (e *cmdEnv) twoFA(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "reset" && args[0] != "unlock") {
		return e.usageErr("2fa reset|unlock NAME")
	}
	return e.withApp(ctx, "2fa "+args[0], args[1:], nil, func(a *app, act auth.Actor, rest []string) error {
		if args[0] == "reset" {
			return e.onUser(ctx, a, act, rest, func(u *auth.UserInfo) error { return a.svc.Reset(ctx, act, u.ID) }, "2FA reset")
		}
		return e.onUser(ctx, a, act, rest, func(u *auth.UserInfo) error { return a.svc.Unlock(ctx, act, u.ID) }, "unlocked")
	})
}

func (e *cmdEnv) usageErr(s string) error {
	fmt.Fprintf(e.stderr, "usage: mfad %s\n", s)
	return errUsage
}
