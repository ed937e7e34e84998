// Package feedcheck checks feed documents with parsers that are not ours,
// for the tests of every package that produces feeds.
package feedcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// ErrNoXMLLint says that xmllint is not installed.
var ErrNoXMLLint = errors.New("xmllint not found: install libxml2-utils (make test does)")

// WellFormed reads every token of an XML document with encoding/xml in
// strict mode, and checks that there is exactly one root element.
func WellFormed(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("encoding/xml (strict): %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("encoding/xml (strict): got %d root elements (depth %d at the end), want 1", roots, depth)
	}
	return nil
}

// Lint has libxml2 read body (`xmllint --noout -`): an error says what it
// found, and anything it prints counts as a finding.
func Lint(body []byte) error {
	path, err := exec.LookPath("xmllint")
	if err != nil {
		return ErrNoXMLLint
	}
	cmd := exec.Command(path, "--noout", "-")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		return fmt.Errorf("xmllint: %v: %s", err, out)
	}
	return nil
}
