package tchmi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mfad/mfad/api/tchmi"
)

// FuzzFrame runs arbitrary frames on a logged-in connection of a real core.
// Whatever comes in, the answer is one JSON object with either commands or
// a top-level error; a request that decodes gets one answer per command, in
// order; and an echoed writeValue never shows a sensitive field.
func FuzzFrame(f *testing.F) {
	seeds := []string{
		frame(1, c(tchmi.SymGet2FAStatus, nil, both...)),
		frame(2, c(tchmi.SymLogin, obj{"userName": "bob", "password": "x", "twoFactorToken": "123456"}, both...)),
		frame(3, c(tchmi.SymEnable2FA, obj{"password": "x", "secret": secretBob, "twoFactorToken": "123456"}, both...)),
		frame(4, c(tchmi.SymDisable2FA, obj{"password": "x", "twoFactorToken": "123456"}, both...)),
		frame(5, c(tchmi.SymChangePassword, obj{"currentPassword": "x", "newPassword": "y", "twoFactorToken": "1"}, both...)),
		frame(6, c(tchmi.SymReset2FA, "bob", both...)),
		frame(7, c(tchmi.SymConfig2FA, 2, both...)),
		frame(8, c(tchmi.SymLogout, nil, both...)),
		frame(9, c("Unknown", []any{1, obj{"Secret": "s"}}, both...)),
		`{"requestType":"ReadWrite","id":1.5e3,"sessionId":"x","customerData":{"a":[1]},"commands":[]}`,
		`{"requestType":"Subscription","commands":[{"symbol":"x"}]}`,
		`{"requestType":"Subscription","id":2,"intervalTime":1e9,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus","writeValue":"bob"},{"symbol":"ListUsers"}]}`,
		frame(10, c(tchmi.SymUnsubscribe, 2, both...), c(tchmi.SymGetCurrentUser, nil), c(tchmi.SymListUserNames, nil), c(tchmi.SymUMListUsers, nil)),
		frame(11, c("TcHmiSrv.Config::USERGROUPUSERS::TcHmiUserManagement::bob::USERGROUPUSERS_FORCE_2FA_INIT", true, both...)),
		`{"requestType":"ReadWrite","commands":[{"symbol":"Login","writeValue":{"userName":"a","password":{"x":1}}}]}`,
		`{"requestType":"ReadWrite","commands":[7,null,{}]}`,
		`{"requestType":`, `[]`, `null`, ``, `"x"`, "\xff\xfe", `{"id":"1e999999"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	e := newEnv(f)
	alice := e.users["alice"]
	login := []byte(frame(0, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password})))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := tchmi.NewSession(e.svc, local)
		s.Handle(e.ctx, login)
		out := s.Handle(e.ctx, in)
		var a struct {
			RequestType  string          `json:"requestType"`
			ID           json.Number     `json:"id"`
			CustomerData json.RawMessage `json:"customerData"`
			Error        *tchmi.Error    `json:"error"`
			Commands     []struct {
				Symbol       string          `json:"symbol"`
				CustomerData json.RawMessage `json:"customerData"`
				WriteValue   json.RawMessage `json:"writeValue"`
				ReadValue    any             `json:"readValue"`
				Error        *tchmi.Error    `json:"error"`
			} `json:"commands"`
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("answer %q is not a frame: %v", out, err)
		}
		if (a.Error == nil) == (a.Commands == nil) {
			t.Fatalf("answer %q: want either commands or an error", out)
		}
		req, err := tchmi.DecodeRequest(in)
		if err == nil && a.Error == nil {
			if a.ID != req.ID {
				t.Fatalf("id %q answered as %q", req.ID, a.ID)
			}
			if len(a.Commands) != len(req.Commands) {
				t.Fatalf("%d commands answered %d times", len(req.Commands), len(a.Commands))
			}
			for i, r := range a.Commands {
				if r.Symbol != req.Commands[i].Symbol {
					t.Fatalf("answer %d is for %q, not %q", i, r.Symbol, req.Commands[i].Symbol)
				}
				if (r.Error != nil) == (r.ReadValue != nil) && r.Symbol != tchmi.SymLogout && r.Symbol != tchmi.SymChangePassword {
					t.Fatalf("answer %d: want readValue or error: %s", i, out)
				}
				checkMasked(t, r.WriteValue)
			}
		}
	})
}

// checkMasked fails if an echoed writeValue shows a sensitive field.
func checkMasked(t *testing.T, raw json.RawMessage) {
	t.Helper()
	if raw == nil {
		return
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("echoed writeValue %q: %v", raw, err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				switch strings.ToLower(k) {
				case "password", "currentpassword", "newpassword", "secret", "twofactortoken":
					if y != tchmi.Masked {
						t.Fatalf("echoed writeValue shows %s: %s", k, raw)
					}
				default:
					walk(y)
				}
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
}

// FuzzDecodeRequest fuzzes the frame decoder alone, many times faster than
// FuzzFrame: it never panics, accepts only ReadWrite requests of at most
// MaxCommands commands, and refuses anything else with a framing error.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		frame(1, c(tchmi.SymLogin, obj{"userName": "a", "password": "b"}, both...)),
		`{"requestType":"ReadWrite","id":-0.5e-3,"sessionId":"s","customerData":"c","commands":[{"symbol":"x","writeValue":[{}],"customerData":1}]}`,
		`{"requestType":"Event","commands":[]}`, `{"requestType":"ReadWrite","commands":[1]}`,
		`{"requestType":"Subscription","id":3,"intervalTime":200,"commands":[{"symbol":"GetCurrentUser"}]}`, `{"requestType":"Subscription","intervalTime":"x"}`, `{"id":"x"}`, `{`, `1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := tchmi.DecodeRequest(in)
		if req == nil {
			t.Fatal("nil request")
		}
		if err == nil {
			if (req.RequestType != "ReadWrite" && req.RequestType != "Subscription") || len(req.Commands) > tchmi.MaxCommands {
				t.Fatalf("accepted %q with %d commands", req.RequestType, len(req.Commands))
			}
			return
		}
		switch e := tchmi.ErrorOf(err, true); e.Code {
		case tchmi.CodeSyntax, tchmi.CodeInvalidField, tchmi.CodeRequestTooLarge, tchmi.CodeNotImplemented:
		default:
			t.Fatalf("refused with %+v", e)
		}
	})
}

// FuzzHTTPLogin posts arbitrary bodies to /Login, as JSON and as a form:
// the answer is a login refused or accepted, never a server error, and
// never a session cookie for a body that is not the right password.
func FuzzHTTPLogin(f *testing.F) {
	for _, s := range []string{
		`{"userName":"alice","password":"x"}`, `{"userName":1}`, `{`, `null`, `[]`,
		`userName=alice&password=x&twoFactorToken=1&persistent=on`, `%zz`, `userName=alice&userName=bob`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	e := newEnv(f)
	h := tchmi.NewHandler(e.svc, tchmi.Options{})
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		req := httptest.NewRequest(http.MethodPost, "/Login", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Fatalf("a cookie for %q", body)
		}
	})
}
