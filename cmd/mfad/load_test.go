package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfad/mfad/internal/e2e"
)

// TestLoad runs mfad load against a real server, seeding through the API,
// straight into the store, and reusing the users of an earlier run, every
// scenario with a handful of requests: each must report answers and no
// error. It measures nothing; the figures are BENCHMARKS.md's.
func TestLoad(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	users := filepath.Join(t.TempDir(), "users")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"api", nil},
		{"direct", []string{"--seed-direct", "--data-dir", srv.DataDir, "--users-file", users}},
		{"reused", []string{"--users-file", users}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "load.json")
			// Verify and login prove 5 codes each, the flood 2, each user
			// once in this time step: 12 of the 24 users per run.
			args := append([]string{"load", "--url", srv.URL, "--users", "24", "--requests", "5",
				"--duration", "20s", "--concurrency", "2", "--scenario", "ceiling,verify,login,prepare,flood",
				"--json", out}, tt.args...)
			cmd := exec.Command(e2e.Binary(t), args...)
			cmd.Env = append(os.Environ(), "MFAD_ADMIN_PASSWORD="+e2e.AdminPassword)
			stdout, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("mfad load: %v\n%s", err, stdout)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Seed struct {
					Method string `json:"method"`
					Users  int    `json:"users"`
				} `json:"seed"`
				Scenarios []struct {
					Name     string           `json:"name"`
					Requests int64            `json:"requests"`
					OK       int64            `json:"ok"`
					Errors   int64            `json:"errors"`
					Lost     int64            `json:"lost"`
					Statuses map[string]int64 `json:"statuses"`
				} `json:"scenarios"`
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if rep.Seed.Method != tt.name || (tt.name != "reused" && rep.Seed.Users < 24) {
				t.Errorf("seed %+v; want 24 users or more by %s", rep.Seed, tt.name)
			}
			var names []string
			for _, s := range rep.Scenarios {
				names = append(names, s.Name)
				if s.Requests == 0 || s.OK != s.Requests || s.Errors != 0 || s.Lost != 0 {
					t.Errorf("%s: %d requests, %d ok, %d errors, %d lost, answers %v\n%s", s.Name, s.Requests, s.OK, s.Errors, s.Lost, s.Statuses, stdout)
				}
			}
			if got := strings.Join(names, ","); got != "ceiling,verify,login,prepare,flood" {
				t.Errorf("scenarios %s", got)
			}
		})
	}
	if logs := srv.Logs(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("the server logged an error:\n%s", logs)
	}
}
