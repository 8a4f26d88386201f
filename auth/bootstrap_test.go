package auth_test

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Several instances starting at once on one empty database all call
// Bootstrap: exactly one creates the admin, and none fails its start.
func TestBootstrapRace(t *testing.T) {
	e := newEnv(t)
	var created atomic.Int32
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := e.svc.Bootstrap(e.ctx, "admin", "admin@mfad.local", "bootstrap-password")
			if err != nil {
				t.Errorf("Bootstrap: %v", err)
			}
			if ok {
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d instances created the admin, want 1", created.Load())
	}
	if ok, err := e.svc.Bootstrap(e.ctx, "admin", "admin@mfad.local", "bootstrap-password"); ok || err != nil {
		t.Fatalf("Bootstrap on a database with users: %v %v", ok, err)
	}
}
