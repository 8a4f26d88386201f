package cloudreve

import (
	"net/http"
	"strconv"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// The admin routes of Cloudreve's dashboard for users, as its web client
// calls them (cloudreve/frontend src/api/api.ts getUserList, getUserDetail,
// upsertUser, batchDeleteUser): POST /admin/user lists, GET
// /admin/user/{id} shows, PUT /admin/user creates, PUT /admin/user/{id}
// updates, POST /admin/user/batch/delete deletes. Who may do it is the
// core's decision (403 for anyone but an admin).

// upsertUser is Cloudreve's admin UpsertUserService. Of the user entity,
// id, email, nick and group_users are read; every other field of it is
// accepted and ignored.
type upsertUser struct {
	User *struct {
		ID         int64  `json:"id"`
		Email      string `json:"email"`
		Nick       string `json:"nick"`
		GroupUsers int    `json:"group_users"`
	} `json:"user"`
	Password string `json:"password"`
	TwoFA    string `json:"two_fa"`
}

// PUT /admin/user/{id} {user, password, two_fa}: a non-empty two_fa resets
// the user's 2FA, a non-empty password sets the user's password, both in
// one core call (UpdateUser, one transaction: a refused password leaves
// the 2FA as it was). The answer is the user as the admin API shows it.
func (s *server) adminUpdateUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, valid := parseID(r.PathValue("id"))
	if !valid {
		return mfad.Errorf(mfad.EInvalidInput, "%s", msgParseID)
	}
	var req upsertUser
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.User == nil {
		return mfad.Errorf(mfad.EInvalidInput, "User cannot be empty")
	}
	if req.User.ID != 0 && req.User.ID != id {
		return mfad.Errorf(mfad.EInvalidInput, "user.id does not match the id in the path")
	}
	u, err := s.svc.UpdateUser(r.Context(), a, auth.UserUpdate{UserID: id, Reset2FA: req.TwoFA != "", Password: req.Password})
	if err != nil {
		return err
	}
	return ok(w, oneAdminUser(u))
}

// PUT /admin/user {user, password}: create a user. Cloudreve's user has an
// email and a nick; mfad's name is the nick (the email when the nick is
// empty), and group 1 (Admin) makes an admin.
func (s *server) adminCreateUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req upsertUser
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.User == nil {
		return mfad.Errorf(mfad.EInvalidInput, "User cannot be empty")
	}
	if req.User.ID != 0 {
		return mfad.Errorf(mfad.EInvalidInput, "ID must be 0")
	}
	if err := required("Password", req.Password, "Email", req.User.Email); err != nil {
		return err
	}
	name, role := req.User.Nick, mfad.RoleUser
	if name == "" {
		name = req.User.Email
	}
	if req.User.GroupUsers == adminGroupID {
		role = mfad.RoleAdmin
	}
	u, err := s.svc.CreateUser(r.Context(), a, auth.NewUser{Name: name, Email: req.User.Email, Password: req.Password, Role: role})
	if err != nil {
		return err
	}
	return ok(w, oneAdminUser(u))
}

// GET /admin/user/{id}: one user.
func (s *server) adminGetUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, valid := parseID(r.PathValue("id"))
	if !valid {
		return mfad.Errorf(mfad.EInvalidInput, "%s", msgParseID)
	}
	u, err := s.svc.GetUser(r.Context(), a, auth.ByID(id))
	if err != nil {
		return err
	}
	return ok(w, oneAdminUser(u))
}

// adminListRequest is Cloudreve's AdminListService. page counts from 1;
// conditions and searches (filters by group, nick, email, status) are
// accepted and ignored.
type adminListRequest struct {
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// maxPageSize is Cloudreve's binding on page_size.
const maxPageSize = 2000

// POST /admin/user {page, page_size, ...}: a page of users, by id.
func (s *server) adminListUsers(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req adminListRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Page < 1 || req.PageSize < 1 || req.PageSize > maxPageSize {
		return mfad.Errorf(mfad.EInvalidInput, "page must be at least 1 and page_size 1 to %d", maxPageSize)
	}
	users, total, err := s.svc.ListUsers(r.Context(), a, auth.UserQuery{Offset: (req.Page - 1) * req.PageSize, Limit: req.PageSize})
	if err != nil {
		return err
	}
	out := listUsersResponse{Users: []adminUser{}, Pagination: pagination{Page: req.Page - 1, PageSize: req.PageSize, TotalItems: total}}
	for i := range users {
		out.Users = append(out.Users, adminUserOf(&users[i]))
	}
	return ok(w, out)
}

type batchIDs struct {
	IDs []int64 `json:"ids"`
}

// POST /admin/user/batch/delete {ids}: delete users, each on its own.
// Ids that fail are answered as Cloudreve answers a batch that did not
// fully complete: 40081 with an aggregated_error per id.
func (s *server) adminDeleteUsers(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req batchIDs
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.IDs) == 0 {
		return mfad.Errorf(mfad.EInvalidInput, "IDs cannot be empty")
	}
	failed, err := s.svc.DeleteUsers(r.Context(), a, req.IDs)
	if err != nil {
		return err
	}
	if len(failed) == 0 {
		return ok(w, nil)
	}
	agg := map[string]envelope{}
	for id, err := range failed {
		agg[strconv.FormatInt(id, 10)] = errorEnvelope(err, nil)
	}
	write(w, envelope{Code: codeBatchIncomplete, Msg: msgBatchIncomplete,
		Error: strconv.Itoa(len(failed)) + " of " + strconv.Itoa(len(req.IDs)) + " users not deleted", CorrelationID: newUUID(), AggregatedError: agg})
	return nil
}

// oneAdminUser is one user as Cloudreve's admin Get answers it: with the
// capacity, which its lists leave out.
func oneAdminUser(u *auth.UserInfo) adminUser {
	au := adminUserOf(u)
	au.Capacity = &capacity{}
	return au
}
