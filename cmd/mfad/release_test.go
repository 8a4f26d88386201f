package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseBuild runs deploy/release.sh for this machine's platform and
// checks the binary: `mfad version` shows the version given and the commit
// it was built from, and the test hooks are not in it. It also checks that
// `go install` of the command works. It builds mfad twice from scratch,
// which takes minutes on a small machine, so it runs only where
// MFAD_TEST_RELEASE=1 is set, as .ci/run does; a newcomer's `go test ./...`
// stays well inside the default timeout.
func TestReleaseBuild(t *testing.T) {
	if os.Getenv("MFAD_TEST_RELEASE") != "1" {
		t.Skip("builds mfad twice; set MFAD_TEST_RELEASE=1 (as .ci/run does)")
	}
	if testing.Short() {
		t.Skip("builds mfad twice")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	out := t.TempDir()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command(filepath.Join(root, "deploy", "release.sh"), "v0.0.0-test", out)
	cmd.Env = append(os.Environ(), "PLATFORMS="+platform, "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, b)
	}
	bin := filepath.Join(out, "mfad-v0.0.0-test-"+runtime.GOOS+"-"+runtime.GOARCH)
	v, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^mfad v0\.0\.0-test \(revision ` + strings.TrimSpace(string(head)) + `(\+dirty)?, go1\.[0-9.]+\)\n$`)
	if !want.Match(v) {
		t.Fatalf("mfad version: %q, want the version and revision %s", v, head)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS-v0.0.0-test"))
	if err != nil || !strings.Contains(string(sums), filepath.Base(bin)) {
		t.Fatalf("SHA256SUMS: %q %v", sums, err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"TEST BUILD", "/debug/clock", root} {
		if strings.Contains(string(b), s) {
			t.Errorf("the release binary contains %q", s)
		}
	}

	gobin := t.TempDir()
	install := exec.Command("go", "install", "github.com/mfad/mfad/cmd/mfad")
	install.Dir = root
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	if b, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, b)
	}
	if v, err := exec.Command(filepath.Join(gobin, "mfad"), "version").Output(); err != nil || !strings.HasPrefix(string(v), "mfad ") {
		t.Fatalf("installed mfad version: %q %v", v, err)
	}
}
