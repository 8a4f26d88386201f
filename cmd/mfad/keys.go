package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/seal"
)

// keys manages the master key ring.
//
//	mfad keys rotate [--reseal-only]  key file: add a new primary key, then re-seal
//	                                  everything with it; --reseal-only (or a ring
//	                                  from MFAD_MASTER_KEY): only re-seal with the
//	                                  ring's primary, which the operator has added
//	                                  to every instance first
//	mfad keys retire ID|--unused      drop a key (or every one but the primary)
//	                                  that no sealed value uses any more
//	mfad keys generate                print a new key line for a key ring
func (e *cmdEnv) keys(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return e.badArgs("missing subcommand", "keys rotate|retire|generate")
	}
	switch args[0] {
	case "generate":
		if err := e.wantArgs(args[1:], 0, "keys generate"); err != nil {
			return err
		}
		k, err := seal.GenerateKey(seal.NewKeyID())
		if err != nil {
			return err
		}
		r, err := seal.NewRing(k)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stdout, r.Format())
		return nil
	case "rotate":
		return e.rotate(ctx, args[1:])
	case "retire":
		return e.retire(ctx, args[1:])
	}
	return e.badArgs(fmt.Sprintf("unknown subcommand %q", args[0]), "keys rotate|retire|generate")
}

func (e *cmdEnv) rotate(ctx context.Context, args []string) error {
	var resealOnly bool
	c, rest, err := e.parse("keys rotate", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&resealOnly, "reseal-only", false, "do not add a key; re-seal with the ring's primary")
	})
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "keys rotate [--reseal-only]"); err != nil {
		return err
	}
	if err := mustExist(c); err != nil { // before a key is added to the file
		return err
	}
	if c.MasterKey == "" && !resealOnly {
		if err := addKey(keyPath(c)); err != nil {
			return err
		}
	}
	a, err := e.open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.svc.RotateKeys(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "re-sealed %d values with key %s; keys in the ring: %s\n", n, a.ring.Primary(), strings.Join(a.ring.IDs(), " "))
	return nil
}

func keyPath(c config) string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// addKey adds a fresh primary key to the key file.
func addKey(path string) error {
	r, err := seal.LoadFile(path)
	if err != nil {
		return err
	}
	k, err := seal.GenerateKey(seal.NewKeyID())
	if err != nil {
		return err
	}
	if r, err = r.With(k); err != nil {
		return err
	}
	return seal.WriteFile(path, r)
}

func (e *cmdEnv) retire(ctx context.Context, args []string) error {
	var unused bool
	c, rest, err := e.parse("keys retire", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&unused, "unused", false, "retire every key but the primary that seals nothing")
	})
	if err != nil {
		return err
	}
	want := 1
	if unused {
		want = 0
	}
	if err := e.wantArgs(rest, want, "keys retire ID|--unused"); err != nil {
		return err
	}
	if c.MasterKey != "" {
		return fmt.Errorf("the key ring comes from MFAD_MASTER_KEY: remove the key there")
	}
	a, err := e.open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	ids := rest
	if unused {
		ids = slices.DeleteFunc(a.ring.IDs(), func(id string) bool { return id == a.ring.Primary() })
	}
	r := a.ring
	retired := 0
	for _, id := range ids {
		if err := a.svc.RetireKey(ctx, id); err != nil {
			if unused && mfad.ErrorCode(err) == mfad.EConflict {
				fmt.Fprintf(e.stdout, "kept key %s: it still seals values\n", id)
				continue
			}
			return err
		}
		if r, err = r.Without(id); err != nil {
			return err
		}
		retired++
		fmt.Fprintf(e.stdout, "retired key %s\n", id)
	}
	if retired == 0 {
		fmt.Fprintln(e.stdout, "no key retired")
		return nil
	}
	return seal.WriteFile(keyPath(c), r)
}

// code prints the current TOTP code of a secret, like oathtool --totp.
func (e *cmdEnv) code(args []string) error {
	fs := flag.NewFlagSet("mfad code", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	secret := fs.String("secret", "", "base32 secret or otpauth:// URI (default: read from standard input)")
	rest, err := e.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "code [--secret S] (or the secret on standard input)"); err != nil {
		return err
	}
	s := *secret
	if s == "" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 8192))
		if err != nil {
			return err
		}
		s = strings.TrimSpace(string(b))
	}
	key, err := parseKey(s)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, key.Code(codeTime()))
	return nil
}

func parseKey(s string) (otp.Key, error) {
	if strings.HasPrefix(strings.ToLower(s), "otpauth://") {
		return otp.ParseURI(s)
	}
	secret, err := otp.DecodeSecret(s)
	if err != nil {
		return otp.Key{}, err
	}
	return otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}, nil
}

func (e *cmdEnv) version() error {
	fmt.Fprintf(e.stdout, "mfad %s (revision %s, %s)\n", version(), revision(), goVersion())
	return nil
}
