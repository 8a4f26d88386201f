package rest

import (
	"net/http"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

type protocolAuthRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type userResponse struct {
	User userJSON `json:"user"`
}

// protocolAuth checks a protocol client's login (a mail server's IMAP
// login): for a user with 2FA on only an app password passes.
func (s *server) protocolAuth(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req protocolAuthRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("login", req.Login, "password", req.Password); err != nil {
		return err
	}
	u, err := s.svc.ProtocolAuth(r.Context(), a, req.Login, req.Password)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userResponse{userOf(u)})
}

type policyJSON struct {
	Policy auth.Policy `json:"policy"`
}

func (s *server) getPolicy(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	p, err := s.svc.Policy(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, policyJSON{p})
}

func (s *server) setPolicy(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req policyJSON
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("policy", string(req.Policy)); err != nil {
		return err
	}
	if err := s.svc.SetPolicy(r.Context(), a, req.Policy); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}

type eventJSON struct {
	ID         int64  `json:"id"`
	Time       stamp  `json:"time"`
	ActorID    int64  `json:"actor_id"`
	UserID     int64  `json:"user_id"`
	Action     string `json:"action"`
	Result     string `json:"result"`
	RemoteAddr string `json:"remote_addr"`
	Dialect    string `json:"dialect"`
	Detail     string `json:"detail"`
}

type auditResponse struct {
	Events       []eventJSON `json:"events"`
	NextBeforeID *int64      `json:"next_before_id"` // the before_id of the next page; null on the last
}

// audit reads the audit log, newest first, a page of limit events before
// before_id.
func (s *server) audit(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	events, err := s.svc.Audit(r.Context(), a, f)
	if err != nil {
		return err
	}
	out := auditResponse{Events: make([]eventJSON, len(events))}
	for i, e := range events {
		out.Events[i] = eventJSON{ID: e.ID, Time: stamp(e.Time), ActorID: e.ActorID, UserID: e.UserID, Action: e.Action,
			Result: e.Result, RemoteAddr: e.RemoteAddr, Dialect: e.Dialect, Detail: e.Detail}
	}
	if n := len(events); n > 0 && n == f.Limit {
		out.NextBeforeID = &events[n-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

func auditFilter(r *http.Request) (mfad.AuditFilter, error) {
	q := r.URL.Query()
	var f mfad.AuditFilter
	var err error
	if f.UserID, err = queryInt(q.Get("user_id"), "user_id", 0, 1, 1<<62); err != nil {
		return f, err
	}
	if f.BeforeID, err = queryInt(q.Get("before_id"), "before_id", 0, 1, 1<<62); err != nil {
		return f, err
	}
	limit, err := queryInt(q.Get("limit"), "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return f, err
	}
	f.Limit = int(limit)
	if v := q.Get("since"); v != "" {
		if f.Since, err = time.Parse(time.RFC3339, v); err != nil {
			return f, mfad.Errorf(mfad.EInvalidInput, "since must be an RFC 3339 time, such as 2024-01-02T15:04:05Z")
		}
	}
	return f, nil
}

type notificationJSON struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Target     string `json:"target"`
	UserID     int64  `json:"user_id"`
	Time       stamp  `json:"time"`
	RemoteAddr string `json:"remote_addr"`
	Dialect    string `json:"dialect"`
	Detail     string `json:"detail"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	LastError  string `json:"last_error"`
	DoneAt     *stamp `json:"done_at"`
}

type notificationsResponse struct {
	Notifications []notificationJSON `json:"notifications"`
	NextBeforeID  *int64             `json:"next_before_id"`
}

// notifications reads the delivery log of notifications (the outbox),
// newest first; state=pending|sent|failed selects.
func (s *server) notifications(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	af, err := auditFilter(r)
	if err != nil {
		return err
	}
	f := mfad.NotificationFilter{UserID: af.UserID, BeforeID: af.BeforeID, Limit: af.Limit}
	switch st := r.URL.Query().Get("state"); st {
	case "", mfad.NotifyPending, mfad.NotifySent, mfad.NotifyFailed:
		f.State = st
	default:
		return mfad.Errorf(mfad.EInvalidInput, "state must be pending, sent or failed")
	}
	rows, err := s.svc.Notifications(r.Context(), a, f)
	if err != nil {
		return err
	}
	out := notificationsResponse{Notifications: make([]notificationJSON, len(rows))}
	for i, n := range rows {
		j := notificationJSON{ID: n.ID, Kind: n.Kind, Target: n.Target, UserID: n.UserID, Time: stamp(n.Time),
			RemoteAddr: n.RemoteAddr, Dialect: n.Dialect, Detail: n.Detail, State: n.State, Attempts: n.Attempts,
			LastError: n.LastError}
		if !n.DoneAt.IsZero() {
			d := stamp(n.DoneAt)
			j.DoneAt = &d
		}
		out.Notifications[i] = j
	}
	if n := len(rows); n > 0 && n == f.Limit {
		out.NextBeforeID = &rows[n-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

// notifySettings is a user's choice of notification mail: the low-risk
// kinds (a scratch code used, a new trusted device) may be turned off.
type notifySettings struct {
	LowRiskEmail *bool `json:"low_risk_email"`
}

func (s *server) getNotifySettings(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	on, err := s.svc.LowRiskEmail(r.Context(), a, id, nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, notifySettings{LowRiskEmail: &on})
}

func (s *server) setNotifySettings(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req notifySettings
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.LowRiskEmail == nil {
		return mfad.Errorf(mfad.EInvalidInput, "low_risk_email is required")
	}
	if _, err := s.svc.LowRiskEmail(r.Context(), a, id, req.LowRiskEmail); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}
