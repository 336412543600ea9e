//go:build !js

// Command wasmchat serves the wasmchat page and proxies chat to a model.
//
//	wasmchat serve [-addr 127.0.0.1:8080] [-data ./data] [-tls-cert F -tls-key F]
//	wasmchat static [-out dist] [-base /repo/] [-server https://chat.example.com]
//	wasmchat token add [-data ./data] [-label L] NAME
//	wasmchat token list|revoke ID
//	wasmchat version
//
// Configuration is read here and nowhere else: each setting has a flag and
// an environment variable; a flag given wins. See the README's table.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	chatapp "github.com/wasmchat/wasmchat/app"
	"github.com/wasmchat/wasmchat/assets"
	"github.com/wasmchat/wasmchat/server"
)

// version is stamped at build: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmchat:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: wasmchat serve [flags] | wasmchat static [flags] | wasmchat token add [-data DIR] [-label L] NAME | wasmchat token list | wasmchat token revoke ID | wasmchat version")

// run is the whole program, so tests can start it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		return token(ctx, args[1:], getenv, stdout, stderr)
	case "static":
		return static(args[1:], stdout, stderr)
	case "version":
		_, err := fmt.Fprintln(stdout, version)
		return err
	}
	return errUsage
}

type serveFlags struct {
	addr, data  string
	databaseURL string
	grace       time.Duration
	origins     []string
	tlsCert     string
	tlsKey      string
	demoRate    float64
	limits      server.Limits
	metricsAddr string
	logJSON     bool
	staleAfter  time.Duration

	upstream     string // auto, demo, openai or seedws
	baseURL      string
	apiKey       string
	model        string
	upstreamWS   string
	ollamaURL    string
	appsFile     string
	contextChars int
	models       []string // the only models questions may name; none: all the upstream lists
	fileQuotaMB  int64    // bytes of attachments one user may keep, in MB
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := serveFlagSet(&f)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	if err := flagsFromEnv(fs, getenv); err != nil {
		return f, err
	}
	for _, d := range []struct {
		v   *string
		def string
	}{
		{&f.upstream, "auto"},
		{&f.ollamaURL, "http://127.0.0.1:11434/v1/"},
	} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return f, errors.New("-tls-cert and -tls-key go together")
	}
	return f, nil
}

// serveFlagSet defines serve's flags into f. Each also has an environment
// variable (envName).
func serveFlagSet(f *serveFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&f.data, "data", "./data", "data folder (the SQLite database)")
	fs.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL, for several instances sharing one database; prefer the env WASMCHAT_DATABASE_URL, which ps does not show (default: SQLite in the data folder)")
	fs.DurationVar(&f.grace, "grace", 10*time.Second, "on SIGTERM, how long answers in flight may take to finish")
	fs.Func("origin", "a foreign `origin` pattern allowed to open WebSockets (repeatable)", func(s string) error {
		f.origins = append(f.origins, s)
		return nil
	})
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "address of a listener of its own for GET /metrics (Prometheus); keep it private (env WASMCHAT_METRICS_ADDR; default: none)")
	fs.DurationVar(&f.staleAfter, "stale-after", 30*time.Second, "with PostgreSQL: how long an answer may go unwritten before it is taken for a dead instance's and ended interrupted")
	fs.BoolVar(&f.logJSON, "log-json", false, "log JSON lines instead of text (env WASMCHAT_LOG_JSON=1)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with -tls-key, serve HTTPS and WSS")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.IntVar(&f.limits.Connections, "max-connections", server.DefaultLimits.Connections, "WebSockets one user may have open at once")
	fs.IntVar(&f.limits.Answers, "max-answers", server.DefaultLimits.Answers, "answers one user may have generating at once")
	fs.IntVar(&f.limits.PerMinute, "max-questions", server.DefaultLimits.PerMinute, "questions one user may ask in any minute")
	fs.StringVar(&f.upstream, "upstream", "", "auto, demo, openai or seedws (env WASMCHAT_UPSTREAM; default auto)")
	fs.StringVar(&f.baseURL, "openai-base-url", "", "OpenAI-compatible API base URL (env OPENAI_BASE_URL)")
	fs.StringVar(&f.apiKey, "openai-api-key", "", "API key; prefer the env OPENAI_API_KEY, which ps does not show")
	fs.StringVar(&f.model, "model", "", "model name (env WASMCHAT_MODEL)")
	fs.StringVar(&f.upstreamWS, "upstream-ws", "", "seed-protocol backend, e.g. wss://host/ws/TOKEN-0 (env WASMCHAT_UPSTREAM_WS)")
	fs.StringVar(&f.ollamaURL, "ollama-url", "", "where auto looks for Ollama (env WASMCHAT_OLLAMA_URL; default http://127.0.0.1:11434/v1/)")
	fs.StringVar(&f.appsFile, "apps", "", "JSON or YAML file of apps (env WASMCHAT_APPS); default: the built-in apps")
	fs.IntVar(&f.contextChars, "context-chars", 24000, "characters of the conversation sent with each question")
	fs.Int64Var(&f.fileQuotaMB, "file-quota", server.DefaultFileQuota>>20, "MB of attached files one user may keep")
	fs.Func("models", "a `model` questions may name, of those the upstream lists (repeatable; default: all it lists)", func(s string) error {
		f.models = append(f.models, s)
		return nil
	})
	fs.Func("demo-cps", "the demo model's pace, characters a second (default 150)", func(v string) error {
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate <= 0 {
			return fmt.Errorf("%q: want a positive number of characters per second", v)
		}
		f.demoRate = rate
		return nil
	})
	return fs
}

// flagEnv names the environment variables of the flags whose name is not
// WASMCHAT_ and the flag's name in capitals (-max-answers:
// WASMCHAT_MAX_ANSWERS): the names OpenAI's tools use.
var flagEnv = map[string]string{
	"openai-base-url": "OPENAI_BASE_URL",
	"openai-api-key":  "OPENAI_API_KEY",
}

// envName is the environment variable of the flag named name.
func envName(name string) string {
	if e, ok := flagEnv[name]; ok {
		return e
	}
	return "WASMCHAT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// flagsFromEnv gives every flag not on the command line its environment
// variable's value, if set: a flag wins over the environment. The values
// are applied after parsing, not as defaults, since -h prints defaults and
// a key must never be printed. A repeatable flag (-origin) takes a list
// separated by spaces or commas.
func flagsFromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if given[f.Name] || v == "" || err != nil {
			return
		}
		values := []string{v}
		if f.Name == "origin" || f.Name == "models" {
			values = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		}
		for _, one := range values {
			if e := fs.Set(f.Name, one); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
				return
			}
		}
	})
	return err
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	// Every line names the instance: several may log to one place.
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if f.logJSON {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler).With("instance", instanceID())
	slog.SetDefault(log)
	st, err := openStore(ctx, f.data, f.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	stale := time.Duration(0) // one process owns the SQLite file
	if f.databaseURL != "" {
		stale = f.staleAfter
	}
	up, err := chooseUpstream(ctx, f, log)
	if err != nil {
		return err
	}
	var apps []server.App
	if f.appsFile != "" {
		data, err := os.ReadFile(f.appsFile)
		if err != nil {
			return err
		}
		if apps, err = server.ParseApps(data); err != nil {
			return fmt.Errorf("%s: %w", f.appsFile, err)
		}
	}
	chatapp.Routes()
	srv, err := server.New(server.Config{
		Store:          st,
		StaleAnswers:   stale,
		Upstream:       up,
		Page:           chatapp.Handler(),
		Web:            assets.Web(),
		Version:        version,
		OriginPatterns: f.origins,
		Apps:           apps,
		ContextChars:   f.contextChars,
		Models:         f.models,
		FileQuota:      f.fileQuotaMB << 20,
		Limits:         f.limits,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		// HTTP/1.1 only: browsers open WebSockets over it.
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	scheme := "http://"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https://"
	}
	base := scheme + loopbackIfUnspecified(ln.Addr().(*net.TCPAddr))
	fmt.Fprintf(stdout, "wasmchat %s listening on %s\n", srv.Version(), base)
	if err := firstToken(ctx, st, base, stdout); err != nil {
		ln.Close()
		return err
	}
	hs := srv.HTTPServer()
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if f.metricsAddr != "" {
		mln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			hs.Close()
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.Metrics())
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		defer ms.Close()
		go func() { errc <- ms.Serve(mln) }()
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", loopbackIfUnspecified(mln.Addr().(*net.TCPAddr)))
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", f.grace)
	sctx, cancel := context.WithTimeout(context.Background(), f.grace)
	defer cancel()
	_ = hs.Shutdown(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("answers interrupted by shutdown", "err", err)
	}
	return nil
}

// instanceID names this process in the logs: the host and the process id.
func instanceID() string {
	host, _ := os.Hostname()
	return host + "-" + strconv.Itoa(os.Getpid())
}

func loopbackIfUnspecified(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
	}
	return a.String()
}
