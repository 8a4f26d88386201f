// Command mfad is the mfad two-factor authentication server and its
// administration tool: one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `mfad: a self-hosted two-factor authentication server

Usage:
  mfad serve [flags]                 run the server (default 127.0.0.1:8080, data in ./mfad-data)
  mfad init [flags]                  create the data dir, database, master key and admin without serving
  mfad user add NAME [--email E] [--admin] [--id N]   (password from MFAD_PASSWORD or standard input)
  mfad user list
  mfad user delete NAME
  mfad user passwd NAME              (new password from MFAD_PASSWORD or standard input)
  mfad 2fa reset NAME                turn a user's 2FA off and revoke their sessions
  mfad 2fa unlock NAME               lift a user's second-factor lockout
  mfad migrate                       apply pending database migrations (serve does too, unless --no-migrate)
  mfad keys rotate                   add a new master key and re-seal every secret with it
  mfad keys retire ID|--unused       drop a key (or every unused one) no longer in use
  mfad keys generate                 print a new master key line (for MFAD_MASTER_KEY, e.g. with PostgreSQL)
  mfad code [--secret S]             print the current TOTP code of a base32 secret (standard input by default)
  mfad load --url URL --scenario S   seed users with 2FA and measure a running server (mfad load -h)
  mfad config                        print the effective configuration, secrets redacted
  mfad audit export [--since T] [--user NAME]   the audit log as JSON lines, oldest first
  mfad notifications [--state S] [--limit N]    the delivery log of notifications (webhooks, email), newest first
  mfad backup FILE                   a consistent copy of the SQLite database, taken while it is in use
  mfad import [--format uri|migration|pskc|csv] [--force] FILE   turn 2FA on for existing users with their existing secrets
  mfad selftest                                   check the build's TOTP code, the key ring and the clock; prints a verdict
  mfad zimbra preauth-key DOMAIN     set (MFAD_PREAUTH_KEY) or make and print the domain's key for Zimbra preauth
  mfad version                       (also mfad --version)

Every command takes --config FILE (or MFAD_CONFIG), --data-dir and --db (or MFAD_DATA_DIR, MFAD_DB),
before or after its arguments; run "mfad serve -h" for all settings. Flags win over MFAD_* variables,
which win over the config file. Only serve and init create a data dir, database or key: the other
commands need the server's --config, --data-dir or --db and refuse to run without them.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errHelp) {
			return
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "mfad:", err)
		}
		os.Exit(1)
	}
}

var (
	errUsage = errors.New("usage")            // already explained on standard error
	errHelp  = errors.New("help was printed") // -h: exit 0
)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "serve":
		return env.serve(ctx, args[1:])
	case "init":
		return env.initCmd(ctx, args[1:])
	case "user":
		return env.user(ctx, args[1:])
	case "2fa":
		return env.twoFA(ctx, args[1:])
	case "keys":
		return env.keys(ctx, args[1:])
	case "migrate":
		return env.migrate(ctx, args[1:])
	case "load":
		return env.load(ctx, args[1:])
	case "code":
		return env.code(args[1:])
	case "config":
		return env.configCmd(args[1:])
	case "audit":
		return env.audit(ctx, args[1:])
	case "notifications":
		return env.notificationsCmd(ctx, args[1:])
	case "backup":
		return env.backup(ctx, args[1:])
	case "import":
		return env.importCmd(ctx, args[1:])
	case "selftest":
		return env.selftestCmd(ctx, args[1:])
	case "zimbra":
		return env.zimbraCmd(ctx, args[1:])
	case "version", "--version", "-version", "-v":
		if len(args) > 1 {
			return env.badArgs(fmt.Sprintf("unexpected argument %q", args[1]), "version")
		}
		return env.version()
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "mfad: unknown command %q (mfad help lists the commands)\n", args[0])
	return errUsage
}

// cmdEnv carries the standard streams, so tests can run commands in-process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}
