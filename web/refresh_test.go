package web_test

import (
	"sync"
	"testing"
	"time"
)

// Two tabs load pages at once after the access token expired: both
// refresh the session with the same refresh cookie. Both pages load, and
// the session lives on (the core's reuse interval), instead of the second
// refresh signing the user out.
func TestParallelRefresh(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("jon")
	u := e.browser()
	u.login("jon", userPassword).want(t, 200, "Security")
	e.clock.Add(61 * time.Minute)

	pages := make([]*page, 3)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range pages {
		wg.Go(func() {
			<-start
			pages[i] = u.do("GET", "/ui/security", nil)
		})
	}
	close(start)
	wg.Wait()
	for i, p := range pages {
		p.want(t, 200, "Security")
		if c := p.cookie("mfad_session"); c == nil || c.Value != pages[0].cookie("mfad_session").Value {
			t.Errorf("tab %d got another session cookie than tab 0", i)
		}
	}
	u.get("/ui/security").want(t, 200, "Security")
}
