package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ErrBadAuth: a source's Auth cannot be sent (unknown kind, missing name, a
// secret with characters a header cannot carry). The message never holds
// the secret.
var ErrBadAuth = errors.New("bad source credentials")

// applyAuth adds the credentials to the first request. Errors name the
// kind and the header or key, never the secret.
func applyAuth(req *http.Request, a *Auth) error {
	if a == nil {
		return nil
	}
	switch a.Kind {
	case AuthBasic:
		if strings.Contains(a.Username, ":") {
			return fmt.Errorf("%w: basic auth user name contains ':'", ErrBadAuth)
		}
		req.SetBasicAuth(a.Username, a.Secret)
	case AuthBearer:
		if !httpguts.ValidHeaderFieldValue(a.Secret) {
			return fmt.Errorf("%w: bearer token has characters a header cannot carry", ErrBadAuth)
		}
		req.Header.Set("Authorization", "Bearer "+a.Secret)
	case AuthHeader:
		if !httpguts.ValidHeaderFieldName(a.Name) {
			return fmt.Errorf("%w: header name %q is not a valid header name", ErrBadAuth, a.Name)
		}
		if !httpguts.ValidHeaderFieldValue(a.Secret) {
			return fmt.Errorf("%w: value of header %s has characters a header cannot carry", ErrBadAuth, a.Name)
		}
		req.Header.Set(a.Name, a.Secret)
	case AuthQuery:
		if a.Name == "" {
			return fmt.Errorf("%w: query auth needs a parameter name", ErrBadAuth)
		}
		// Appended rather than re-encoded: the rest of the query stays
		// byte for byte as configured, which some feeds insist on.
		pair := url.QueryEscape(a.Name) + "=" + url.QueryEscape(a.Secret)
		if req.URL.RawQuery == "" {
			req.URL.RawQuery = pair
		} else {
			req.URL.RawQuery += "&" + pair
		}
	default:
		return fmt.Errorf("%w: unknown kind %q (want basic, bearer, header or query)", ErrBadAuth, a.Kind)
	}
	return nil
}

// stripAuthOnRedirect keeps credentials from following a redirect to
// another host (or port): an agency's CDN or a hostile redirect must not
// receive them. Go drops Authorization for other domains itself, but keeps
// custom headers and treats another port of the same host as the same.
func stripAuthOnRedirect(req *http.Request, first *http.Request, a *Auth) {
	if a == nil || req.URL.Host == first.URL.Host {
		return
	}
	switch a.Kind {
	case AuthBasic, AuthBearer:
		req.Header.Del("Authorization")
	case AuthHeader:
		req.Header.Del(a.Name)
	}
}

// withoutAuthQuery is u without the query parameter the Auth added, so the
// secret does not travel on into FinalURL, the archive or health pages.
func withoutAuthQuery(u *url.URL, a *Auth) string {
	if a == nil || a.Kind != AuthQuery || u.RawQuery == "" {
		return u.String()
	}
	kept := ""
	for pair := range strings.SplitSeq(u.RawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == a.Name {
			continue
		}
		if kept != "" {
			kept += "&"
		}
		kept += pair
	}
	c := *u
	c.RawQuery = kept
	return c.String()
}
