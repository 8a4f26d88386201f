package rest

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

type deviceJSON struct {
	DeviceID   string `json:"device_id"`
	Name       string `json:"name"`
	CreatedAt  stamp  `json:"created_at"`
	ExpiresAt  stamp  `json:"expires_at"`
	LastUsedAt stamp  `json:"last_used_at"`
}

type devicesResponse struct {
	Devices []deviceJSON `json:"devices"`
}

func (s *server) listDevices(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	ds, _, err := s.svc.TrustedDevices(r.Context(), a, id, "")
	if err != nil {
		return err
	}
	out := devicesResponse{Devices: make([]deviceJSON, len(ds))}
	for i, d := range ds {
		out.Devices[i] = deviceJSON{DeviceID: d.DeviceID, Name: d.Name, CreatedAt: stamp(d.CreatedAt),
			ExpiresAt: stamp(d.ExpiresAt), LastUsedAt: stamp(d.LastUsedAt)}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) revokeDevice(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	device := r.PathValue("device_id")
	if !validDeviceID(device) {
		return mfad.Errorf(mfad.EInvalidInput, "device id must be 1 to 64 characters of A-Z, a-z, 0-9, - and _")
	}
	if err := s.svc.RevokeTrustedDevice(r.Context(), a, auth.DeviceRevocation{UserID: id, DeviceID: device}); err != nil {
		return err
	}
	noContent(w)
	return nil
}

func validDeviceID(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type appPasswordJSON struct {
	Name       string `json:"name"`
	CreatedAt  stamp  `json:"created_at"`
	LastUsedAt stamp  `json:"last_used_at"`
}

type appPasswordsResponse struct {
	AppPasswords []appPasswordJSON `json:"app_passwords"`
}

func (s *server) listAppPasswords(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	ps, err := s.svc.AppPasswords(r.Context(), a, id)
	if err != nil {
		return err
	}
	out := appPasswordsResponse{AppPasswords: make([]appPasswordJSON, len(ps))}
	for i, p := range ps {
		out.AppPasswords[i] = appPasswordJSON{Name: p.Name, CreatedAt: stamp(p.CreatedAt), LastUsedAt: stamp(p.LastUsedAt)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type appPasswordRequest struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

type newAppPasswordResponse struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *server) createAppPassword(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req appPasswordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("name", req.Name); err != nil {
		return err
	}
	pw, err := s.svc.CreateAppPassword(r.Context(), a, id, req.Name, req.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newAppPasswordResponse{Name: strings.TrimSpace(req.Name), Password: pw})
}

func (s *server) revokeAppPassword(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if name == "" || len(name) > 1000 || !utf8.ValidString(name) {
		return mfad.Errorf(mfad.EInvalidInput, "app password name in the path is not valid")
	}
	if err := s.svc.RevokeAppPassword(r.Context(), a, id, name); err != nil {
		return err
	}
	noContent(w)
	return nil
}
