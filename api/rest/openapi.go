package rest

import (
	_ "embed"
	"net/http"

	"github.com/mfad/mfad/auth"
)

// openAPIDoc is the OpenAPI 3.1 document of this API, written by hand; a
// test holds it against the route table.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at /v1/openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (s *server) openAPI(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
	return nil
}
