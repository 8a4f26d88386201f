package rest

// WriteError exposes writeError to the tests of package rest_test.
var WriteError = writeError
