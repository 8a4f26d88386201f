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
// the system actor. It checks that there are nargs positional arguments
// before it opens anything, and opens only an existing database.
func (e *cmdEnv) withApp(ctx context.Context, name string, args []string, extra func(*flag.FlagSet), nargs int, usage string, fn func(a *app, act auth.Actor, rest []string) error) error {
	c, rest, err := e.parse(name, args, extra)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, nargs, usage); err != nil {
		return err
	}
	a, err := e.open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, auth.System("cli"), rest)
}

// userUsage is the usage of each user subcommand.
var userUsage = map[string]string{
	"add":    "user add NAME [--email E] [--admin] [--id N]",
	"list":   "user list",
	"delete": "user delete NAME",
	"passwd": "user passwd NAME",
}

func (e *cmdEnv) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return e.badArgs("missing subcommand", "user add|list|delete|passwd")
	}
	usage, ok := userUsage[args[0]]
	if !ok {
		return e.badArgs(fmt.Sprintf("unknown subcommand %q", args[0]), "user add|list|delete|passwd")
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
	nargs := 1
	if args[0] == "list" {
		nargs = 0
	}
	return e.withApp(ctx, "user "+args[0], args[1:], extra, nargs, usage, func(a *app, act auth.Actor, rest []string) error {
		switch args[0] {
		case "add":
			return e.userAdd(ctx, a, act, rest[0], email, admin, id)
		case "list":
			return e.userList(ctx, a, act)
		case "delete":
			return e.onUser(ctx, a, act, rest[0], func(u *auth.UserInfo) error { return a.svc.DeleteUser(ctx, act, u.ID) }, "deleted")
		default: // passwd
			return e.onUser(ctx, a, act, rest[0], func(u *auth.UserInfo) error {
				pw, err := e.readSecret("MFAD_PASSWORD")
				if err != nil {
					return err
				}
				return a.svc.ChangePassword(ctx, act, auth.PasswordChange{UserID: u.ID, New: pw})
			}, "password changed")
		}
	})
}

func (e *cmdEnv) userAdd(ctx context.Context, a *app, act auth.Actor, name, email string, admin bool, id int64) error {
	pw, err := e.readSecret("MFAD_PASSWORD")
	if err != nil {
		return err
	}
	role := mfad.RoleUser
	if admin {
		role = mfad.RoleAdmin
	}
	u, err := a.svc.CreateUser(ctx, act, auth.NewUser{ID: id, Name: name, Email: email, Password: pw, Role: role})
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
		users, total, err := a.svc.ListUsers(ctx, act, auth.UserQuery{Offset: off, Limit: 1000})
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

// onUser runs fn on the user with this name or email.
func (e *cmdEnv) onUser(ctx context.Context, a *app, act auth.Actor, name string, fn func(*auth.UserInfo) error, done string) error {
	u, err := a.svc.GetUser(ctx, act, auth.ByLogin(name))
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
	if len(args) == 0 {
		return e.badArgs("missing subcommand", "2fa reset|unlock NAME")
	}
	if args[0] != "reset" && args[0] != "unlock" {
		return e.badArgs(fmt.Sprintf("unknown subcommand %q", args[0]), "2fa reset|unlock NAME")
	}
	return e.withApp(ctx, "2fa "+args[0], args[1:], nil, 1, "2fa "+args[0]+" NAME", func(a *app, act auth.Actor, rest []string) error {
		if args[0] == "reset" {
			return e.onUser(ctx, a, act, rest[0], func(u *auth.UserInfo) error { _, err := a.svc.Reset(ctx, act, auth.ByID(u.ID)); return err }, "2FA reset")
		}
		return e.onUser(ctx, a, act, rest[0], func(u *auth.UserInfo) error { return a.svc.Unlock(ctx, act, u.ID) }, "unlocked")
	})
}
