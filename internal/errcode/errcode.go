// Package errcode holds the extensions.code values of the subgraph's
// GraphQL errors (SPEC §2) and the error that carries one: what a resolver
// returns when the client may read the message. The GraphQL layer (graph)
// makes them; the HTTP edge (internal/gqlhttp) presents them, and uses the
// same codes for the requests it refuses itself.
package errcode

import "fmt"

// The codes.
const (
	BadUserInput    = "BAD_USER_INPUT"
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	NotFound        = "NOT_FOUND"
	Internal        = "INTERNAL_SERVER_ERROR"
)

// Error is an error the client may read, with its extensions.code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// New returns an Error with code and message.
func New(code, message string) error { return &Error{Code: code, Message: message} }

// BadInput returns a BAD_USER_INPUT Error with a formatted message.
func BadInput(format string, args ...any) error {
	return &Error{Code: BadUserInput, Message: fmt.Sprintf(format, args...)}
}
