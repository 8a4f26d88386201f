package cloudreve

import "net/http"

// WireOf and WriteError expose the error table to the tests of package
// cloudreve_test.
var (
	WireOf = func(err error, route string) (int, string) {
		we := wireOf(err, routeErrors(route))
		return we.Code, we.Msg
	}
	WriteError = func(w http.ResponseWriter, err error) { writeError(w, err, nil) }
)

// routeErrors returns the overrides of the route "METHOD /path".
func routeErrors(route string) overrides {
	for _, rt := range routes {
		if rt.method+" "+rt.path == route {
			return rt.errs
		}
	}
	return nil
}
