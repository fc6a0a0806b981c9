package calendar

import "fmt"

// ParseError describes why an expression is not a valid calendar event.
type ParseError struct {
	Expr   string // the expression as passed to Parse
	Offset int    // byte offset into Expr where the problem was found
	Msg    string // what is wrong, without position
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid schedule %q: %s at offset %d", e.Expr, e.Msg, e.Offset)
}
