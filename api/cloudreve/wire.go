package cloudreve

import (
	"strconv"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// userID is the id a Cloudreve client sees for an mfad user. Cloudreve
// encodes its numeric ids as hashids; its clients treat the string as
// opaque, so mfad gives the decimal id as a string ("1001"): reversible,
// stable, and the same number the admin API and the mfad command use.
func userID(id int64) string { return strconv.FormatInt(id, 10) }

// user is Cloudreve's user serializer (service/user/response.go User),
// with the fields mfad has.
type user struct {
	ID        string    `json:"id"`
	Email     string    `json:"email,omitempty"`
	Nickname  string    `json:"nickname"`
	Status    string    `json:"status,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Anonymous bool      `json:"anonymous,omitempty"`
	Group     *group    `json:"group,omitempty"`
}

// group is Cloudreve's group serializer. mfad has two roles, shown as
// Cloudreve's two built-in groups; Permission is Cloudreve's boolset
// (base64 of a bit set) with bit 0, is_admin, set for admins, which is how
// a Cloudreve client decides to show its admin pages. It is presentation
// only: every decision is the core's.
type group struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Permission string `json:"permission,omitempty"`
}

const statusActive = "active"

// adminGroupID is the numeric id of the Admin group in the admin API.
const adminGroupID = 1

var (
	adminGroup = group{ID: "1", Name: "Admin", Permission: "AQ=="}
	userGroup  = group{ID: "2", Name: "User"}
)

func groupOf(r mfad.Role) *group {
	g := userGroup
	if r == mfad.RoleAdmin {
		g = adminGroup
	}
	return &g
}

func userOf(u *auth.UserInfo) user {
	return user{ID: userID(u.ID), Email: u.Email, Nickname: u.Name, Status: statusActive,
		CreatedAt: secondTime(u.CreatedAt), Group: groupOf(u.Role)}
}

// token is Cloudreve's auth.Token: the pair and when each expires.
type token struct {
	AccessToken    string    `json:"access_token"`
	RefreshToken   string    `json:"refresh_token"`
	AccessExpires  time.Time `json:"access_expires"`
	RefreshExpires time.Time `json:"refresh_expires"`
}

func tokenOf(t *auth.Tokens) token {
	return token{AccessToken: t.Access, RefreshToken: t.Refresh,
		AccessExpires: secondTime(t.AccessExpires), RefreshExpires: secondTime(t.RefreshExpires)}
}

// loginResponse is Cloudreve's BuiltinLoginResponse.
type loginResponse struct {
	User  user  `json:"user"`
	Token token `json:"token"`
}

// prepareLoginResponse is Cloudreve's PrepareLoginResponse.
type prepareLoginResponse struct {
	WebAuthnEnabled bool `json:"webauthn_enabled"`
	PasswordEnabled bool `json:"password_enabled"`
}

// userSettings is Cloudreve's UserSettings with the fields that are not
// left out when empty; only two_fa_enabled carries information here.
type userSettings struct {
	VersionRetentionEnabled bool   `json:"version_retention_enabled"`
	Passwordless            bool   `json:"passwordless"`
	TwoFAEnabled            bool   `json:"two_fa_enabled"`
	DisableViewSync         bool   `json:"disable_view_sync"`
	ShareLinksInProfile     string `json:"share_links_in_profile"`
}

// adminUser is Cloudreve's admin GetUserResponse (service/admin/response.go):
// the raw user entity (numeric id) plus hash_id, two_fa_enabled and
// capacity, all left out when empty.
type adminUser struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email,omitempty"`
	Nick         string     `json:"nick,omitempty"`
	Status       string     `json:"status,omitempty"`
	Edges        adminEdges `json:"edges"`
	HashID       string     `json:"hash_id,omitempty"`
	TwoFAEnabled bool       `json:"two_fa_enabled,omitempty"`
	Capacity     *capacity  `json:"capacity,omitempty"` // one user's answer (not a list's): zero, mfad keeps no files
}

type adminEdges struct {
	Group *adminGroupEntity `json:"group,omitempty"`
}

// adminGroupEntity is the group entity of the admin API (numeric id).
type adminGroupEntity struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Permissions string `json:"permissions,omitempty"`
}

func adminUserOf(u *auth.UserInfo) adminUser {
	g := groupOf(u.Role)
	gid, _ := strconv.Atoi(g.ID)
	return adminUser{ID: u.ID, Email: u.Email, Nick: u.Name, Status: statusActive,
		Edges:  adminEdges{Group: &adminGroupEntity{ID: gid, Name: g.Name, Permissions: g.Permission}},
		HashID: userID(u.ID), TwoFAEnabled: u.MFAEnabled}
}

// listUsersResponse is Cloudreve's admin ListUserResponse.
type listUsersResponse struct {
	Users      []adminUser `json:"users"`
	Pagination pagination  `json:"pagination"`
}

// pagination is Cloudreve's inventory.PaginationResults: page counts
// from 0 in the answer (Cloudreve's store pages from 0, its request from
// 1).
type pagination struct {
	Page       int `json:"page"`
	PageSize   int `json:"page_size"`
	TotalItems int `json:"total_items,omitempty"`
}
