package gate

// ValidJSON is the gate's JSON checker, for the fuzzer that holds it to
// encoding/json.
func ValidJSON(b []byte) error {
	_, err := scanJSON(b)
	return err
}
