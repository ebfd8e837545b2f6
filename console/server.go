package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store"
)

//go:embed assets
var assets embed.FS

// Options configure a console server.
type Options struct {
	// Token, if set, must come with every request.
	Token string
	// Now is the clock (request times); nil uses time.Now.
	Now func() time.Time
	// NewID names the executions relaunch and recover requests start.
	NewID func() string
	// Poll is how often the page of a running execution refreshes
	// (default 1s).
	Poll time.Duration
}

// Server serves the console over one store.
type Server struct {
	st  store.Store
	eng *engine.Engine
	opt Options
	mux *http.ServeMux
}

// New makes a console over st.
func New(st store.Store, opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = engine.NewExecID(opt.Now)
	}
	if opt.Poll == 0 {
		opt.Poll = time.Second
	}
	eng, err := engine.New(engine.Config{Store: st, Now: opt.Now})
	if err != nil {
		return nil, err
	}
	s := &Server{st: st, eng: eng, opt: opt, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// CheckAddr refuses a non-local listen address without a token.
func CheckAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want host:port (for example 127.0.0.1:8080): %v", addr, err)
	}
	if token != "" {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %s is not a loopback address: anyone who reaches it could read the bucket and terminate runs; pass --token T (every request must then carry it) or listen on 127.0.0.1", addr)
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "assets")
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	for _, p := range []string{"GET /{$}", "GET /executions/{project}/{domain}/{exec}", "GET /launchplans", "GET /workflows"} {
		s.mux.HandleFunc(p, s.page)
	}
	s.mux.HandleFunc("GET /api/executions", s.apiList)
	s.mux.HandleFunc("GET /api/executions/{project}/{domain}/{exec}", s.apiExecution)
	s.mux.HandleFunc("GET /api/executions/{project}/{domain}/{exec}/nodes/{node}", s.apiNode)
	s.mux.HandleFunc("GET /api/executions/{project}/{domain}/{exec}/nodes/{node}/log", s.log)
	s.mux.HandleFunc("GET /files", s.file)
	s.mux.HandleFunc("POST /api/executions/{project}/{domain}/{exec}/{action}", s.apiAction)
	s.mux.HandleFunc("GET /api/launchplans", s.apiLaunchPlans)
	s.mux.HandleFunc("POST /api/launchplans/{project}/{domain}/{name}/{action}", s.apiPlanAction)
	s.mux.HandleFunc("GET /api/workflows", s.apiWorkflows)
}

// ServeHTTP checks the token, then serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.Token != "" && !s.authorized(w, r) {
		http.Error(w, "this console needs its token: open it with ?token=T, or send Authorization: Bearer T", http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("X-Aloft-Console") == "" {
		// Browsers cannot send a custom header across origins without a
		// preflight this server never answers: no cross-site form posts.
		http.Error(w, "actions need the X-Aloft-Console header (the console's pages send it)", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

const tokenCookie = "aloft_token"

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	eq := func(v string) bool { return subtle.ConstantTimeCompare([]byte(v), []byte(s.opt.Token)) == 1 }
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && eq(v) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && eq(c.Value) {
		return true
	}
	if v := r.URL.Query().Get("token"); v != "" && eq(v) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	return false
}

// page serves the HTML shell; the script fills it from /api/.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		httpError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(strings.Replace(string(b), "{{POLL_MS}}", fmt.Sprint(s.opt.Poll.Milliseconds()), 1)))
}

// httpError maps store errors to statuses.
func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var be badRequest
	switch {
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, &be):
		code = http.StatusBadRequest
	case errors.Is(err, store.ErrConflict):
		code = http.StatusConflict
	}
	http.Error(w, err.Error(), code)
}

type badRequest struct{ msg string }

func (b badRequest) Error() string { return b.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// parallel runs f for 0..n-1 with at most 16 at a time (store reads of
// remote stores are slow one by one).
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int)) {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			f(ctx, i)
		}(i)
	}
	wg.Wait()
}
