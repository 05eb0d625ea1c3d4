package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinels for the kinds of failure a caller may treat differently.
var (
	ErrUnreachable  = errors.New("registry unreachable")
	ErrNotFound     = errors.New("not found in the registry")
	ErrUnauthorized = errors.New("not authorized")
	ErrCorrupt      = errors.New("content does not match its digest")
)

// kindError is a message for the user that still matches its sentinel.
type kindError struct {
	msg  string
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.err }

// Explain turns go-containerregistry's error for ref (what: "" for the
// manifest, else e.g. "blob sha256:...") into one line that says what to do.
func Explain(ref Ref, what string, err error) error {
	if err == nil {
		return nil
	}
	subject := ref.String()
	if what != "" {
		subject = what + " of " + subject
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return transportError(ref, what, subject, te)
	}
	if msg, ok := corrupt(err); ok {
		return &kindError{fmt.Sprintf("%s: the registry sent content that does not match its digest (%s): nothing of it was kept; the image in the registry is damaged", subject, msg), ErrCorrupt, err}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: interrupted", subject)
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &kindError{fmt.Sprintf("cannot reach registry %s for %s: %s", ref.Registry(), subject, netProblem(err)), ErrUnreachable, err}
	}
	return fmt.Errorf("%s: %w", subject, err)
}

func transportError(ref Ref, what, subject string, te *transport.Error) error {
	switch {
	case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden || hasCode(te, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
		return &kindError{fmt.Sprintf("registry %s refused access to %s: log in (credentials come from ~/.docker/config.json, $REGISTRY_AUTH_FILE or a credential helper) or check the name", ref.Registry(), subject), ErrUnauthorized, te}
	case what != "" && (te.StatusCode == http.StatusNotFound || hasCode(te, transport.BlobUnknownErrorCode)):
		return &kindError{fmt.Sprintf("%s is missing from registry %s although the image's manifest lists it: the image in the registry is broken; push it again", subject, ref.Registry()), ErrNotFound, te}
	case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode):
		return &kindError{fmt.Sprintf("%s not found in registry %s: check the name and tag", subject, ref.Registry()), ErrNotFound, te}
	case te.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("registry %s is rate-limiting requests for %s: wait, or log in for a higher limit", ref.Registry(), subject)
	}
	return fmt.Errorf("registry %s: %s: %s", ref.Registry(), subject, firstLine(te.Error()))
}

// corrupt recognizes go-containerregistry's own digest checks (it verifies
// what it reads before nook's store does), which it reports only as text.
func corrupt(err error) (string, bool) {
	msg := err.Error()
	for _, marker := range []string{"error verifying sha256 checksum", "does not match requested digest", "manifest digest:"} {
		if i := strings.Index(msg, marker); i >= 0 {
			return firstLine(msg[i:]), true
		}
	}
	return "", false
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// netProblem is the innermost cause: "connection refused", "no such host".
func netProblem(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return firstLine(oe.Err.Error())
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return "no such host " + de.Name
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the connection closed early"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return firstLine(ue.Err.Error())
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
