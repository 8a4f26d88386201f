package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

const (
	usersPerPage = 50
	eventsShown  = 50
)

// adminView asks the core for the users and recent events. Whether the
// actor may see them is the core's answer (forbidden, setup required...),
// returned as err.
func (h *handler) adminView(r *http.Request, s *session) (*view, error) {
	v := h.base(r, s, "Administration", "admin")
	v.Wide = true
	v.NewUser.Role = string(mfad.RoleUser)
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	offset = max(offset, 0)
	ctx := r.Context()
	users, total, err := h.svc.ListUsers(ctx, s.actor, auth.UserQuery{Offset: offset, Limit: usersPerPage})
	if err != nil {
		return v, err
	}
	v.Users, v.Total, v.Listed = users, total, true
	v.Prev, v.Next = -1, -1
	if offset > 0 {
		v.Prev = max(offset-usersPerPage, 0)
	}
	if offset+len(users) < total {
		v.Next = offset + len(users)
	}
	events, err := h.svc.Audit(ctx, s.actor, mfad.AuditFilter{Limit: eventsShown, WithNames: true})
	if err != nil {
		return v, err
	}
	for _, e := range events {
		v.Events = append(v.Events, eventView{Time: e.Time, Actor: eventName(e.ActorID, e.ActorName), User: eventName(e.UserID, e.UserName),
			Action: e.Action, Result: e.Result, Addr: e.RemoteAddr, Dial: e.Dialect, Detail: e.Detail})
	}
	return v, nil
}

// eventName shows a user of an event: the name, "-" for nobody, the id of
// a user since deleted.
func eventName(id int64, name string) string {
	switch {
	case id == 0:
		return "-"
	case name == "":
		return "#" + strconv.FormatInt(id, 10)
	}
	return name
}

func (h *handler) admin(w http.ResponseWriter, r *http.Request, s *session) {
	v, err := h.adminView(r, s)
	if err != nil {
		h.adminError(w, r, v, err)
		return
	}
	v.Notice = notices[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "admin", v)
}

// adminError shows the admin page with the core's refusal or error. When
// the core refused the listing itself, the page shows only the message.
func (h *handler) adminError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status, msg := h.explain(err, "")
	v.Error = msg
	h.retry(w, v, err)
	h.render(w, r, status, "admin", v)
}

// adminFailed re-renders the admin page after a failed action.
func (h *handler) adminFailed(w http.ResponseWriter, r *http.Request, s *session, err error, keep func(*view)) {
	v, verr := h.adminView(r, s)
	if verr != nil {
		h.adminError(w, r, v, verr)
		return
	}
	if keep != nil {
		keep(v)
	}
	h.adminError(w, r, v, err)
}

func (h *handler) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	nu := auth.NewUser{Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")),
		Password: f.Get("password"), Role: mfad.Role(f.Get("role"))}
	if _, err := h.svc.CreateUser(r.Context(), s.actor, nu); err != nil {
		h.adminFailed(w, r, s, err, func(v *view) {
			v.NewUser = newUserForm{Name: nu.Name, Email: nu.Email, Role: string(nu.Role)}
			v.Field = "new-user"
		})
		return
	}
	redirect(w, r, Prefix+"admin?done=created")
}

func formID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if err != nil {
		return -1
	}
	return id
}

// resetUser asks for confirmation on a page of its own, then resets.
func (h *handler) resetUser(w http.ResponseWriter, r *http.Request, s *session) {
	id := formID(r)
	if r.PostFormValue("confirm") != "yes" {
		u, err := h.svc.GetUser(r.Context(), s.actor, auth.ByID(id))
		if err != nil {
			h.adminFailed(w, r, s, err, nil)
			return
		}
		v := h.base(r, s, "Reset two-factor authentication", "admin")
		v.Target = u
		h.render(w, r, http.StatusOK, "reset", v)
		return
	}
	if _, err := h.svc.Reset(r.Context(), s.actor, auth.ByID(id)); err != nil {
		h.adminFailed(w, r, s, err, nil)
		return
	}
	redirect(w, r, Prefix+"admin?done=reset")
}

func (h *handler) unlockUser(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.svc.Unlock(r.Context(), s.actor, formID(r)); err != nil {
		h.adminFailed(w, r, s, err, nil)
		return
	}
	redirect(w, r, Prefix+"admin?done=unlocked")
}
