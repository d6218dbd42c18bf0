package domain

import "strings"

// FieldViolation is one bad input field.
type FieldViolation struct{ Field, Description string }

// FieldErrors collects bad input fields; the service turns it into INVALID_ARGUMENT naming
// every field.
type FieldErrors struct{ Violations []FieldViolation }

// Add records a bad field.
func (f *FieldErrors) Add(field, description string) {
	f.Violations = append(f.Violations, FieldViolation{field, description})
}

// Err returns f as an error, or nil when nothing was added.
func (f *FieldErrors) Err() error {
	if len(f.Violations) == 0 {
		return nil
	}
	return f
}

func (f *FieldErrors) Error() string {
	parts := make([]string, len(f.Violations))
	for i, v := range f.Violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return "invalid input: " + strings.Join(parts, "; ")
}
