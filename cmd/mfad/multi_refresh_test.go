package main_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
)

// TestMultiInstanceParallelRefresh: a client refreshes with one refresh
// token from eight requests at once, spread over two instances on one
// PostgreSQL database. Every request gets the same working pair and the
// session lives on; the same token presented after the reuse interval
// revokes the session everywhere.
func TestMultiInstanceParallelRefresh(t *testing.T) {
	c := newCluster(t)
	s1 := c.start()
	s2 := c.start()
	admin := str(c.login(s1, "admin", e2e.AdminPassword), "access_token")
	c.createUser(s1, admin, "rita", "rita-password-1")
	refresh := str(c.login(s2, "rita", "rita-password-1"), "refresh_token")

	const n = 8
	outs := make([]map[string]any, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := []*e2e.Server{s1, s2}[i%2]
		wg.Go(func() {
			<-start
			var err error
			statuses[i], _, outs[i], err = c.send(s, "POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh})
			if err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if statuses[i] != 200 || str(outs[i], "access_token") != str(outs[0], "access_token") ||
			str(outs[i], "refresh_token") != str(outs[0], "refresh_token") {
			t.Fatalf("refresh %d: %d %v; want 200 and the pair of refresh 0 %v", i, statuses[i], outs[i], outs[0])
		}
	}
	access := str(outs[0], "access_token")
	c.do(s1, "GET", "/v1/me", access, nil, 200)
	c.do(s2, "GET", "/v1/me", access, nil, 200)

	c.advance(31 * time.Second)
	c.do(s1, "POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}, 401)
	c.do(s2, "GET", "/v1/me", access, nil, 401)
}

// TestMultiInstanceReuseOnDatabaseClock (issue 26, item 7): two instances
// whose clocks are 70 s apart judge the refresh reuse interval alike, on
// the database server's clock. A token rotated on one and presented on the
// other at once gets the rotation's pair (the parallel refresh it looks
// like), audited as a reuse; 36 s later it revokes the session on either.
func TestMultiInstanceReuseOnDatabaseClock(t *testing.T) {
	c := newCluster(t)
	s1 := c.start()
	s2 := c.start()
	s2.Skew(70 * time.Second) // s2's machine clock runs 70 s ahead of s1's
	admin := str(c.login(s1, "admin", e2e.AdminPassword), "access_token")
	c.createUser(s1, admin, "rosa", "rosa-password-1")
	refresh := str(c.login(s1, "rosa", "rosa-password-1"), "refresh_token")

	first := c.do(s1, "POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}, 200)
	again := c.do(s2, "POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}, 200)
	if str(again, "refresh_token") != str(first, "refresh_token") {
		t.Fatalf("the reuse on the other instance got another pair: %v, want %v", again, first)
	}
	access := str(first, "access_token")
	c.do(s2, "GET", "/v1/me", access, nil, 200)
	events := c.do(s1, "GET", "/v1/audit?limit=20", admin, nil, 200)
	if !strings.Contains(fmt.Sprint(events), "reused") {
		t.Errorf("no audit event of the reuse: %v", events)
	}

	c.advance(36 * time.Second)
	c.do(s1, "POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}, 401)
	c.do(s2, "GET", "/v1/me", access, nil, 401)
}
