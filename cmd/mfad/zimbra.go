package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mfad/mfad/auth"
)

// zimbraCmd is "mfad zimbra preauth-key DOMAIN": set the preauth key of a
// domain for the Zimbra dialect's <preauth> (Zimbra's zmprov
// generateDomainPreAuthKey). A new random key is made and printed once,
// unless MFAD_PREAUTH_KEY holds an existing one (a Zimbra domain's key,
// so its portals keep working). Never a flag: flags show in ps.
func (e *cmdEnv) zimbraCmd(ctx context.Context, args []string) error {
	const use = "zimbra preauth-key DOMAIN"
	if len(args) == 0 || args[0] != "preauth-key" {
		return e.badArgs("missing or unknown subcommand", use)
	}
	return e.withApp(ctx, "zimbra preauth-key", args[1:], nil, 1, use, func(a *app, act auth.Actor, rest []string) error {
		key, err := a.svc.SetPreauthKey(ctx, act, rest[0], os.Getenv("MFAD_PREAUTH_KEY"))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "preauth key of %s: %s\n", rest[0], key)
		return nil
	})
}
