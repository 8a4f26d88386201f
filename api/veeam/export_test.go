package veeam

// WriteProblem and WriteTokenError expose the error writers to the tests of
// package veeam_test.
var (
	WriteProblem    = writeProblem
	WriteTokenError = writeTokenError
)
