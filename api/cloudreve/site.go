package cloudreve

import (
	"net/http"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// siteConfig is Cloudreve's basic.SiteConfig (service/basic/site.go) with
// the fields that describe mfad; every field is left out when empty, as
// in Cloudreve, so a section carries only its own fields.
type siteConfig struct {
	// basic
	Title        string `json:"title,omitempty"`
	Themes       string `json:"themes,omitempty"`
	DefaultTheme string `json:"default_theme,omitempty"`
	User         *user  `json:"user,omitempty"`

	// login: captcha, passkeys (authn) and registration are all off in
	// mfad, so the section is empty: Cloudreve leaves false out.
	LoginCaptcha    bool `json:"login_captcha,omitempty"`
	RegCaptcha      bool `json:"reg_captcha,omitempty"`
	ForgetCaptcha   bool `json:"forget_captcha,omitempty"`
	Authn           bool `json:"authn,omitempty"`
	RegisterEnabled bool `json:"register_enabled,omitempty"`

	// explorer
	MaxBatchSize int `json:"max_batch_size,omitempty"`
}

// The web client's colour theme: Cloudreve's default theme option, since
// the client parses themes as JSON and needs one to draw its pages.
const (
	defaultTheme = "#1976d2"
	themes       = `{"#1976d2":{"light":{"palette":{"primary":{"main":"#1976d2"},"secondary":{"main":"#9c27b0"}}},` +
		`"dark":{"palette":{"primary":{"main":"#90caf9"},"secondary":{"main":"#ce93d8"}}}}}`
)

// anonymous is Cloudreve's anonymous user, what the basic section shows a
// client that is not logged in: group "Anonymous" with the is_anonymous
// permission (bit 1).
var anonymous = user{Anonymous: true, Group: &group{ID: "3", Name: "Anonymous", Permission: "Ag=="}}

// GET /site/config/{section}: what the web client reads before it draws a
// page. "login" says that captcha, passkeys and registration are off,
// "explorer", "emojis" and "app" are empty (mfad keeps no files), and any
// other section is "basic", as in Cloudreve: the site's name (the issuer)
// and the user of the bearer token, or the anonymous user.
func (s *server) siteConfig(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	switch r.PathValue("section") {
	case "login", "explorer", "emojis", "app", "thumb":
		return ok(w, siteConfig{})
	}
	cfg := siteConfig{Title: s.svc.Config().Issuer, Themes: themes, DefaultTheme: defaultTheme, User: &anonymous}
	if bearer := httpx.Bearer(r); bearer != "" {
		u, err := s.currentUser(r, a.Client(), bearer)
		if err != nil && mfad.ErrorCode(err) != mfad.EUnauthenticated {
			return err
		}
		if u != nil {
			cfg.User = u
		}
	}
	return ok(w, cfg)
}

// currentUser is the user of an access token; nil and EUnauthenticated
// for a token that does not authenticate (the page is then anonymous, as
// with Cloudreve's optional login).
func (s *server) currentUser(r *http.Request, c auth.Client, bearer string) (*user, error) {
	a, err := s.svc.Authenticate(r.Context(), c, bearer)
	if err != nil {
		return nil, err
	}
	ui, err := s.svc.GetUser(r.Context(), a, auth.ByID(a.UserID()))
	if err != nil {
		return nil, err
	}
	u := userOf(ui)
	return &u, nil
}

// capacity is Cloudreve's fs.Capacity: mfad stores no files.
type capacity struct {
	Total int64 `json:"total"`
	Used  int64 `json:"used"`
}

// GET /user/capacity (login): zero of zero bytes.
func (s *server) capacity(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	return ok(w, capacity{})
}

// listResponse is Cloudreve's explorer ListResponse, empty.
type listResponse struct {
	Files      []struct{}     `json:"files"`
	Pagination filePagination `json:"pagination"`
	Props      navigatorProps `json:"props"`
	MixedType  bool           `json:"mixed_type"`
}

type filePagination struct {
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

type navigatorProps struct {
	Capability            string   `json:"capability"`
	MaxPageSize           int      `json:"max_page_size"`
	OrderByOptions        []string `json:"order_by_options"`
	OrderDirectionOptions []string `json:"order_direction_options"`
}

// GET /file?uri= (login): an empty folder, whatever the uri: mfad keeps no
// files, and the web client lists the user's files on every page.
func (s *server) listFiles(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	return ok(w, listResponse{Files: []struct{}{},
		Props: navigatorProps{OrderByOptions: []string{}, OrderDirectionOptions: []string{}}})
}

// secondTime is a time as the dialect writes it: UTC to the second.
func secondTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
