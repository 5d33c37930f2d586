package desk

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Cookie and form field names.
const (
	// sessionCookie holds the session id; the store has only its SHA-256.
	sessionCookie = "wiredesk_session"
	// loginCookie holds the sign-in form's own CSRF token (there is no
	// session yet to hold one), compared with the form's copy.
	loginCookie = "wiredesk_login"
	// flashCookie carries one message to the page after a redirect.
	flashCookie = "wiredesk_flash"
	// csrfField is the hidden field every desk form carries.
	csrfField = "csrf_token"
)

type sessionKey struct{}

// withSession returns r carrying the signed-in session.
func withSession(r *http.Request, s *store.Session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
}

// sessionOf is the session of a signed-in request, nil for a stranger
// (only public routes see strangers).
func sessionOf(r *http.Request) *store.Session {
	s, _ := r.Context().Value(sessionKey{}).(*store.Session)
	return s
}

// userOf is the signed-in account; every route with a role has one.
func userOf(r *http.Request) *store.User {
	if s := sessionOf(r); s != nil {
		return s.User
	}
	return nil
}

// session reads the session cookie and checks the session in the store.
func (d *Desk) session(r *http.Request) (*store.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, auth.ErrNoSession
	}
	return d.auth.Session(r.Context(), c.Value)
}

// cookie is a desk cookie: HttpOnly, limited to /desk/, Secure when
// configured. SameSite=Lax rather than Strict: a link to a desk page from
// chat or mail then opens signed in, while no cross-site POST carries the
// cookie; every change is a POST with a CSRF token besides.
func (d *Desk) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/desk/", MaxAge: maxAge,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode,
	}
}

// checkOrigin refuses a cross-site POST: modern browsers say where a
// request comes from in Sec-Fetch-Site and Origin. Requests without
// either (old browsers, scripts) still need the CSRF token.
func checkOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return errForbidden("This form was sent from another site, so it was refused.")
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || origin == "null" || !strings.EqualFold(u.Host, r.Host) {
		return errForbidden("This form was sent from another site, so it was refused.")
	}
	return nil
}

// loginURL is the sign-in page, coming back to next afterwards.
func loginURL(next string) string {
	if next == "" || next == "/desk/" {
		return "/desk/login"
	}
	return "/desk/login?next=" + url.QueryEscape(next)
}

// safeNext is where to go after signing in: a desk path only, never
// another site ("//evil.example" included).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/desk/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/desk/"
	}
	if strings.HasPrefix(next, "/desk/login") {
		return "/desk/"
	}
	return next
}

// clientIP is the address sign-in attempts are counted against: the
// connection's peer. Behind a reverse proxy every editor shares the proxy's
// address; the per-address limit is set higher than the per-account one
// for that reason.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type loginPage struct {
	Name  string
	Next  string
	Token string
	Error string
}

func (d *Desk) serveLogin(w http.ResponseWriter, r *http.Request) error {
	if sessionOf(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return d.renderLogin(w, r, http.StatusOK, &loginPage{Next: r.URL.Query().Get("next")})
}

// renderLogin shows the sign-in form with a fresh token in the form and in
// its cookie.
func (d *Desk) renderLogin(w http.ResponseWriter, r *http.Request, status int, lp *loginPage) error {
	lp.Token = auth.NewToken()
	lp.Next = safeNext(lp.Next)
	http.SetCookie(w, d.cookie(loginCookie, lp.Token, 3600))
	return d.render(w, r, status, "login", "Sign in", lp)
}

func (d *Desk) postLogin(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(loginCookie)
	form := r.PostFormValue(csrfField)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		return errForbidden("The sign-in form was missing its security token. Reload the page and try again (cookies must be allowed).")
	}
	lp := &loginPage{Name: r.PostFormValue("name"), Next: r.PostFormValue("next")}
	login, err := d.auth.Login(r.Context(), &auth.LoginParams{
		Name: lp.Name, Password: r.PostFormValue("password"), IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		lp.Error = "Wrong account name or password."
		return d.renderLogin(w, r, http.StatusUnauthorized, lp)
	case errors.Is(err, auth.ErrRateLimited):
		lp.Error = "Too many failed sign-ins. Wait a quarter of an hour, then try again."
		return d.renderLogin(w, r, http.StatusTooManyRequests, lp)
	case err != nil:
		return err
	}
	http.SetCookie(w, d.cookie(loginCookie, "", -1))
	http.SetCookie(w, d.cookie(sessionCookie, login.Token, int(d.auth.AbsoluteTimeout().Seconds())))
	if _, err := d.store.AppendAudit(r.Context(), &store.AppendAuditParams{
		At: d.now(), Actor: login.Session.User.Name, Action: "user.sign_in",
		ObjectType: store.AuditUser, ObjectID: login.Session.User.Name, Note: "from " + clientIP(r),
	}); err != nil {
		return fmt.Errorf("audit sign-in: %w", err)
	}
	http.Redirect(w, r, safeNext(lp.Next), http.StatusSeeOther)
	return nil
}

func (d *Desk) postLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := d.auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, d.cookie(sessionCookie, "", -1))
	d.setFlash(w, "You are signed out.")
	http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
	return nil
}

// setFlash leaves a message for the next page shown (post, redirect, get).
func (d *Desk) setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, d.cookie(flashCookie, url.QueryEscape(msg), 60))
}

// takeFlash reads and clears the message left by setFlash.
func (d *Desk) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, d.cookie(flashCookie, "", -1))
	msg, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return msg
}

// redirect ends a successful POST: the browser goes to url, where msg is
// shown once.
func (d *Desk) redirect(w http.ResponseWriter, r *http.Request, url, msg string) error {
	if msg != "" {
		d.setFlash(w, msg)
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}
