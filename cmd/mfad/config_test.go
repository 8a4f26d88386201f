package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// cleanEnv unsets every MFAD_* variable of the test process (an empty value
// counts as unset), so each test sets exactly what it means.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MFAD_") {
			t.Setenv(k, "")
		}
	}
}

// parseConfig parses the flags of serve, as the command does.
func parseConfig(t *testing.T, args ...string) (config, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	c, _, err := e.parse("serve", args, nil)
	return c, errb.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func source(c config, name string) string {
	for _, s := range c.settings {
		if s.name == name {
			return s.source
		}
	}
	return "?"
}

func TestConfigDefaults(t *testing.T) {
	cleanEnv(t)
	c, _, err := parseConfig(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./mfad-data" || c.Window != 1 || c.PendingTTL != 10*time.Minute ||
		c.AuditRetention != 365*24*time.Hour || c.LogFormat != "text" || c.ConfigFile != "" || c.NoMigrate {
		t.Fatalf("defaults: %+v", c)
	}
	for _, s := range c.settings {
		if s.source != fromDefault {
			t.Errorf("%s comes from %s, want the default", s.name, s.source)
		}
	}
}

const sampleFile = `# a comment
addr = "0.0.0.0:9000"
data_dir = "/var/lib/mfad"
window = 3
pending_ttl = "15m"
audit_retention = "2160h"
trusted_proxies = ["10.0.0.0/8", "192.0.2.1"]
log_format = "json"
no_migrate = true
issuer = "Example Corp"
`

func TestConfigPrecedence(t *testing.T) {
	cleanEnv(t)
	path := writeFile(t, "mfad.conf", sampleFile)

	// The file alone.
	c, _, err := parseConfig(t, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/var/lib/mfad" || c.Window != 3 || c.PendingTTL != 15*time.Minute ||
		c.AuditRetention != 90*24*time.Hour || c.TrustedProxies != "10.0.0.0/8,192.0.2.1" || c.LogFormat != "json" ||
		!c.NoMigrate || c.Issuer != "Example Corp" {
		t.Fatalf("from the file: %+v", c)
	}
	if source(c, "window") != fromFile || source(c, "access-ttl") != fromDefault || source(c, "config") != fromFlag {
		t.Fatalf("sources: window %s, access-ttl %s, config %s", source(c, "window"), source(c, "access-ttl"), source(c, "config"))
	}

	// The environment beats the file; MFAD_CONFIG names the file.
	t.Setenv("MFAD_CONFIG", path)
	t.Setenv("MFAD_WINDOW", "2")
	t.Setenv("MFAD_ADDR", "127.0.0.1:7000")
	t.Setenv("MFAD_NO_MIGRATE", "false")
	t.Setenv("MFAD_ACCESS_TTL", "30m")
	t.Setenv("MFAD_PASSWORD", "not a setting")  // other MFAD_* variables are left alone
	t.Setenv("MFAD_SOMETHING_ELSE", "whatever") // even unknown ones: tests and tools set them
	t.Setenv("MFAD_ISSUER", "")                 // empty counts as unset: the file's value stays
	c, _, err = parseConfig(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConfigFile != path || c.Window != 2 || c.Addr != "127.0.0.1:7000" || c.NoMigrate || c.AccessTTL != 30*time.Minute ||
		c.DataDir != "/var/lib/mfad" || c.Issuer != "Example Corp" {
		t.Fatalf("environment over file: %+v", c)
	}
	if source(c, "window") != fromEnv || source(c, "data-dir") != fromFile || source(c, "config") != fromEnv {
		t.Fatalf("sources: window %s, data-dir %s", source(c, "window"), source(c, "data-dir"))
	}

	// Flags beat both.
	c, _, err = parseConfig(t, "--window", "4", "--data-dir", "/srv/mfad", "--no-migrate")
	if err != nil {
		t.Fatal(err)
	}
	if c.Window != 4 || c.DataDir != "/srv/mfad" || !c.NoMigrate || c.Addr != "127.0.0.1:7000" || c.PendingTTL != 15*time.Minute {
		t.Fatalf("flags over environment and file: %+v", c)
	}
	if source(c, "window") != fromFlag || source(c, "addr") != fromEnv || source(c, "pending-ttl") != fromFile {
		t.Fatal("sources after flags")
	}

	// --config beats MFAD_CONFIG.
	other := writeFile(t, "other.conf", "window = 5\nissuer = \"Other\"\n")
	t.Setenv("MFAD_WINDOW", "")
	c, _, err = parseConfig(t, "--config", other)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConfigFile != other || c.Window != 5 || c.Issuer != "Other" || c.DataDir != "./mfad-data" {
		t.Fatalf("--config over MFAD_CONFIG: %+v", c)
	}

	// A command's own flags (user add --email) take nothing from the
	// environment or the file.
	t.Setenv("MFAD_EMAIL", "from-env@example.org")
	var email string
	e := &cmdEnv{stdin: strings.NewReader(""), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	if _, _, err := e.parse("user add", nil, func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "") }); err != nil || email != "" {
		t.Fatalf("a command flag took %q from the environment (%v)", email, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string            // config file content, "" for none
		env  map[string]string // environment
		args []string
		want string // in the error
	}{
		{name: "unknown key", file: "adress = \"x\"\n", want: "adress: unknown key"},
		{name: "flag spelling of a key", file: "data-dir = \"x\"\n", want: "did you mean data_dir?"},
		{name: "a table", file: "[server]\naddr = \"x\"\n", want: "server: unknown key (the file is flat"},
		{name: "the config key itself", file: "config = \"other\"\n", want: "config: unknown key"},
		{name: "a secret in the file", file: "master_key = \"k1:abc\"\n", want: "set MFAD_MASTER_KEY in the environment"},
		{name: "admin password in the file", file: "admin_password = \"pw\"\n", want: "MFAD_ADMIN_PASSWORD"},
		{name: "wrong type: string for int", file: "window = \"3\"\n", want: "window: want an integer, not a string"},
		{name: "wrong type: float", file: "window = 1.5\n", want: "want an integer, not a float"},
		{name: "wrong type: int for duration", file: "pending_ttl = 600\n", want: "want a duration as a string"},
		{name: "bad duration", file: "pending_ttl = \"ten minutes\"\n", want: "pending_ttl: \"ten minutes\": invalid duration"},
		{name: "wrong type: bool", file: "no_migrate = \"yes\"\n", want: "want true or false"},
		{name: "array for a string", file: "addr = [\"a\"]\n", want: "want a string, not an array"},
		{name: "syntax error", file: "addr = \"x\"\nwindow = = 3\n", want: "line 2"},
		{name: "missing file", args: []string{"--config", "/nonexistent/mfad.conf"}, want: "no such file"},
		{name: "invalid int in the environment", env: map[string]string{"MFAD_WINDOW": "two"}, want: `MFAD_WINDOW="two": invalid int for --window`},
		{name: "invalid duration in the environment", env: map[string]string{"MFAD_AUDIT_RETENTION": "1y"}, want: "MFAD_AUDIT_RETENTION"},
		{name: "invalid bool in the environment", env: map[string]string{"MFAD_NO_MIGRATE": "maybe"}, want: "MFAD_NO_MIGRATE"},
		{name: "a bad file value is an error even where the environment overrides it", file: "window = \"x\"\n", env: map[string]string{"MFAD_WINDOW": "2"}, want: "window: want an integer"},
		{name: "a bad environment value is an error even where a flag overrides it", env: map[string]string{"MFAD_WINDOW": "x"}, args: []string{"--window", "2"}, want: "MFAD_WINDOW"},
		{name: "log format", env: map[string]string{"MFAD_LOG_FORMAT": "xml"}, want: "log-format \"xml\""},
		{name: "log level", args: []string{"--log-level", "loud"}, want: "log-level \"loud\""},
		{name: "tls cert without key", args: []string{"--tls-cert", "c.pem"}, want: "give both or neither"},
		{name: "trusted proxies", file: "trusted_proxies = [\"10.0.0.0/33\"]\n", want: "trusted-proxies"},
		{name: "window range", args: []string{"--window", "1000"}, want: "window 1000"},
		{name: "negative ttl", env: map[string]string{"MFAD_ACCESS_TTL": "-1h"}, want: "access-ttl -1h0m0s"},
		{name: "argon", args: []string{"--argon-parallel", "0"}, want: "argon2id"},
		{name: "pprof on all interfaces", args: []string{"--pprof-addr", ":6060"}, want: "pprof-addr \":6060\": want a loopback address"},
		{name: "pprof on a public address", env: map[string]string{"MFAD_PPROF_ADDR": "192.0.2.1:6060"}, want: "want a loopback address"},
		{name: "pprof without a port", file: "pprof_addr = \"127.0.0.1\"\n", want: "pprof-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeFile(t, "mfad.conf", tc.file)}, args...)
			}
			_, _, err := parseConfig(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A bad flag value is a usage error, explained on standard error.
	cleanEnv(t)
	_, stderr, err := parseConfig(t, "--window", "x")
	if !errors.Is(err, errUsage) || !strings.Contains(stderr, "invalid value") {
		t.Fatalf("bad flag: %v %q", err, stderr)
	}
}

func TestConfigCommand(t *testing.T) {
	cleanEnv(t)
	path := writeFile(t, "mfad.conf", sampleFile)
	t.Setenv("MFAD_MASTER_KEY", "k1:c2VjcmV0LWtleS1tYXRlcmlhbC1uZXZlci1zaG93bg")
	t.Setenv("MFAD_ADMIN_PASSWORD", "admin-pw-never-shown")
	t.Setenv("MFAD_DB", "postgres://mfad:db-pw-never-shown@db.example.org/mfad?sslmode=require")
	t.Setenv("MFAD_WINDOW", "2")
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"config", "--config", path, "--addr", "127.0.0.1:1"}, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("mfad config: %v %s", err, errb.String())
	}
	got := out.String()
	for _, secret := range []string{"c2VjcmV0LWtleS1tYXRlcmlhbC1uZXZlci1zaG93bg", "admin-pw-never-shown", "db-pw-never-shown"} {
		if strings.Contains(got, secret) {
			t.Errorf("mfad config shows a secret:\n%s", got)
		}
	}
	for _, want := range []string{
		`addr = "127.0.0.1:1"`, "# flag --addr",
		"window = 2", "# environment MFAD_WINDOW",
		`data_dir = "/var/lib/mfad"`, "# config file",
		`access_ttl = "1h0m0s"`, "# default",
		`db = "postgres://mfad:REDACTED@db.example.org/mfad?sslmode=require"`,
		"# MFAD_MASTER_KEY: set (redacted)", "# MFAD_ADMIN_PASSWORD: set (redacted)",
		"# config file: " + path,
		`trusted_proxies = "10.0.0.0/8,192.0.2.1"`,
		"no_migrate = true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("mfad config lacks %q:\n%s", want, got)
		}
	}

	// The output is a config file that gives the same configuration (but
	// the database URL, whose password it hides).
	t.Setenv("MFAD_DB", "")
	t.Setenv("MFAD_WINDOW", "")
	want, _, err := parseConfig(t, "--config", path, "--addr", "127.0.0.1:1", "--window", "2")
	if err != nil {
		t.Fatal(err)
	}
	printed := writeFile(t, "printed.conf", dropLine(got, "db = "))
	again, _, err := parseConfig(t, "--config", printed)
	if err != nil {
		t.Fatalf("the printed configuration does not parse: %v", err)
	}
	for i, s := range want.settings {
		if s.name != "config" && again.settings[i].value != s.value {
			t.Errorf("%s: printed and read back %q, want %q", s.name, again.settings[i].value, s.value)
		}
	}
}

func dropLine(s, prefix string) string {
	var out []string
	for line := range strings.Lines(s) {
		if !strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// TestSampleConfig reads deploy/mfad.conf.sample with every setting in it
// uncommented: each key must be a setting of the right type, and the
// sample must name every setting.
func TestSampleConfig(t *testing.T) {
	cleanEnv(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "mfad.conf.sample"))
	if err != nil {
		t.Fatal(err)
	}
	setting := regexp.MustCompile(`(?m)^# ([a-z_]+ = .*)$`)
	var keys []string
	uncommented := setting.ReplaceAllStringFunc(string(b), func(line string) string {
		keys = append(keys, strings.Fields(line)[1])
		return strings.TrimPrefix(line, "# ")
	})
	c, _, err := parseConfig(t, "--config", writeFile(t, "sample.conf", uncommented))
	if err != nil {
		t.Fatalf("the sample, uncommented: %v", err)
	}
	if c.DataDir != "/var/lib/mfad" || c.TLSKey != "/etc/mfad/tls.key" {
		t.Fatalf("sample values not read: %+v", c)
	}
	for _, s := range c.settings {
		if s.name != "config" && !slices.Contains(keys, s.key) {
			t.Errorf("the sample does not mention %s", s.key)
		}
	}
}
