package feed

// WithoutParser returns a copy of s without the parser Validate made, for
// comparing sites field by field.
func WithoutParser(s *Site) *Site {
	c := *s
	c.parser = nil
	return &c
}
