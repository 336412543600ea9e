//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// waitForWorker waits until the page's service worker controls it: from
// then on, the page can start offline.
func waitForWorker(tb testing.TB, ctx context.Context) {
	tb.Helper()
	poll(tb, ctx, "the service worker to control the page", `navigator.serviceWorker.controller !== null`)
}

// workerOffline takes the network away from the page and its service
// worker too (which then starts the page from its cache), or gives it
// back.
func workerOffline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &off,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		// navigator.onLine and its events follow.
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// TestBrowserOffline: a page loaded once starts again with no server and
// no network, shows the conversation kept in the browser, takes a question,
// and sends it when the network is back.
func TestBrowserOffline(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "20000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	waitForWorker(t, ctx)
	const first, second = "What is kept offline?", "Asked while offline"
	askInPage(t, ctx, first)
	waitAnswers(t, ctx, 1, "done")

	a.Stop()
	offline := workerOffline
	must(t, chromedp.Do(ctx, offline(true)))
	start := time.Now()
	must(t, chromedp.Do(ctx, chromedp.Reload()))
	poll(t, ctx, "the page to start offline with its history",
		`document.querySelectorAll('.message[data-role="assistant"][data-status="done"]').length == 1 &&
		 document.querySelector('.message[data-role="user"] .content')?.textContent == `+jsString(first))
	t.Logf("offline start (reload to history shown, from the worker's cache): %v", time.Since(start).Round(time.Millisecond))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#connection').dataset.state`))
	must(t, err)
	if state != "offline" {
		t.Errorf("connection state offline: %q", state)
	}
	answer, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.message[data-role="assistant"] .content').textContent`))
	must(t, err)
	if !strings.Contains(demo.Answer(first), strings.Fields(answer)[0]) {
		t.Errorf("the cached answer shows %.80q", answer)
	}

	// The user's data is never answered from the worker's cache: offline,
	// the API (which the page called while online) and health fail.
	cached, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Promise.all(['/api/conversations', '/healthz'].map(u =>
		fetch(u, {headers: {Authorization: 'Bearer ' + localStorage.getItem('Authorization')}}).then(() => u, () => null)))
		.then(r => r.filter(Boolean))`, chromedp.EvalAwaitPromise))
	must(t, err)
	if len(cached) > 0 {
		t.Errorf("offline, answered from a cache: %v", cached)
	}

	askInPage(t, ctx, second)
	poll(t, ctx, "the question asked offline to show",
		`[...document.querySelectorAll('.message[data-role="user"] .content')].some(e => e.textContent == `+jsString(second)+`)`)

	startAppWith(t, appOptions{addr: a.Addr, data: a.Data, token: a.Token, env: map[string]string{"WASMCHAT_DEMO_CPS": "20000"}})
	must(t, chromedp.Do(ctx, offline(false)))
	got := waitAnswers(t, ctx, 2, "done")
	checkShown(t, ctx, got[1], demo.Answer(second), true)
}

// compressingHost is a static host that gzips the wasm as it serves it,
// with the compressed length as Content-Length, as some hosts do.
func compressingHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".wasm") || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		_, _ = z.Write(rec.Body.Bytes())
		_ = z.Close()
		maps.Copy(w.Header(), rec.Header())
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(b.Bytes())
	})
}

// watchLoader collects, in every page the browser loads from now on, what
// go-app's loading label says, in window.loaderLabels.
func watchLoader(tb testing.TB, ctx context.Context) {
	tb.Helper()
	must(tb, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.loaderLabels = [];
				new MutationObserver(() => {
					const l = document.getElementById("app-wasm-loader-label");
					if (l && l.textContent !== loaderLabels[loaderLabels.length - 1]) loaderLabels.push(l.textContent);
				}).observe(document, {subtree: true, childList: true, characterData: true});`,
		})
		return err
	})))
}

// TestBrowserStaticSite: the page built by `wasmchat static` under a
// sub-path, served by a plain static file server on one port, chats with
// the wasmchat server on another (which lists the site's origin), under
// the page's own Content-Security-Policy. (Not parallel: it builds a
// second site of another version, setting the package's version.)
func TestBrowserStaticSite(t *testing.T) {
	dir := t.TempDir()
	mux := http.NewServeMux()
	mux.Handle("/repo/", compressingHost(http.StripPrefix("/repo/", http.FileServer(http.Dir(dir)))))
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	a := startAppWith(t, appOptions{env: map[string]string{"WASMCHAT_DEMO_CPS": "20000"}, args: []string{"-origin", strings.TrimPrefix(site.URL, "http://")}})
	if a.URL == site.URL {
		t.Fatal("one port for both")
	}
	var out strings.Builder
	must(t, run(context.Background(), []string{"static", "-out", dir, "-base", "/repo/", "-server", a.URL}, nil, &out, io.Discard))

	ctx := newBrowser(t)
	watchCSP(t, ctx)
	watchLoader(t, ctx)
	signIn(t, ctx, site.URL+"/repo", a.Token)
	// The host compressed the wasm: the loader still counts to 100 %.
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`loaderLabels`))
	must(t, err)
	most, percent := -1, regexp.MustCompile(`(\d+)%`)
	for _, l := range labels {
		if m := percent.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			most = max(most, n)
		}
	}
	if most != 100 {
		t.Errorf("the loader counted to %d%%: %q", most, labels)
	}
	const question = "Hello from a static site"
	askInPage(t, ctx, question)
	got := waitAnswers(t, ctx, 1, "done")
	checkShown(t, ctx, got[0], demo.Answer(question), true)
	waitForWorker(t, ctx)

	// The sidebar comes from the server's API, across origins: not from
	// what the page kept.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](`Object.keys(localStorage).filter(k => k.startsWith("/repo/wasmchat.conversations@")).forEach(k => localStorage.removeItem(k))`))
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Reload()))
	poll(t, ctx, "the conversation listed by the server's API", `document.querySelectorAll('#conversations li').length == 1`)
	checkNoCSPViolation(t, ctx)

	// The settings may point the page only at servers its policy allows.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		document.querySelector('#settings').open = true;
		const s = document.querySelector('#server-url');
		s.value = 'https://elsewhere.example';
		document.querySelector('#save-settings').click();
		return true;
	})()`))
	must(t, err)
	poll(t, ctx, "the refusal of a server the site may not reach",
		`(document.querySelector('#settings-error')?.textContent || "").includes(`+jsString(a.URL)+`)`)

	// A second site on the same origin, of another release, built with no
	// server, only those its settings may choose (another server, with its
	// own token): the page asks for one, and connects once it has it.
	b := startAppWith(t, appOptions{env: map[string]string{"WASMCHAT_DEMO_CPS": "20000"}, args: []string{"-origin", strings.TrimPrefix(site.URL, "http://")}})
	two := t.TempDir()
	mux.Handle("/two/", http.StripPrefix("/two/", http.FileServer(http.Dir(two))))
	old := version
	version = "v-two"
	err = run(context.Background(), []string{"static", "-out", two, "-base", "/two/", "-connect", b.URL, "-connect", a.URL}, nil, io.Discard, io.Discard)
	version = old
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/two/")))
	poll(t, ctx, "the settings to ask for a server", `document.querySelector('#settings')?.open && document.querySelector('#server-url')?.value === ""`)
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#token-input`), b.Token), chromedp.Click(chromedp.CSS(`#save-settings`))))
	poll(t, ctx, "the page to ask for the server first", `(document.querySelector('#settings-error')?.textContent || "").includes("server")`)
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#server-url`), b.URL+"/"), chromedp.Click(chromedp.CSS(`#save-settings`))))
	poll(t, ctx, "the page to connect to the server set in its settings", `document.querySelector('#connection')?.dataset.state == "open"`)
	const other = "Hello from the second site"
	askInPage(t, ctx, other)
	got = waitAnswers(t, ctx, 1, "done")
	checkShown(t, ctx, got[0], demo.Answer(other), true)
	checkNoCSPViolation(t, ctx)
	waitForWorker(t, ctx)

	// Tokens are kept per server: switching to another server needs a
	// token for it (the one in use is never sent there), and switching
	// back needs none.
	settle := func(server, token string) {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			document.querySelector('#settings').open = true;
			document.querySelector('#server-url').value = `+jsString(server)+`;
			document.querySelector('#token-input').value = `+jsString(token)+`;
			document.querySelector('#save-settings').click();
			return true;
		})()`))
		must(t, err)
	}
	settle(a.URL, "")
	poll(t, ctx, "a token asked for the other server", `(document.querySelector('#settings-error')?.textContent || "").includes("Paste a token for `+a.URL+`")`)
	settle(a.URL, a.Token)
	poll(t, ctx, "the page on the other server, with its token", `document.querySelector('#connection')?.dataset.state == "open" &&
		document.getElementById("signed-in")?.textContent == "Signed in as owner" && document.querySelectorAll('.message').length == 0`)
	settle(b.URL, "")
	poll(t, ctx, "the page back on the first server, with its own token and conversation", `document.querySelector('#connection')?.dataset.state == "open" &&
		[...document.querySelectorAll('.message[data-role="user"] .content')].map(e => e.textContent).join("|") == `+jsString(other))

	// The first site kept its own: its token for its server (the second's
	// would be refused there), the conversation it showed, and the files
	// its worker cached (the second site's worker, of another release,
	// deleted only its own other versions).
	must(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/repo/")))
	poll(t, ctx, "the first site to connect with its own token", `document.querySelector('#connection')?.dataset.state == "open"`)
	poll(t, ctx, "the first site's conversation", `[...document.querySelectorAll('.message[data-role="user"] .content')].map(e => e.textContent).join("|") == `+jsString(question))
	caches, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`caches.keys()`, chromedp.EvalAwaitPromise))
	must(t, err)
	var repoCache, twoCache bool
	for _, c := range caches {
		repoCache = repoCache || strings.HasPrefix(c, "wasmchat-/repo/-")
		twoCache = twoCache || strings.HasPrefix(c, "wasmchat-/two/-v-two")
	}
	if !repoCache || !twoCache {
		t.Errorf("caches %q: want one for each site", caches)
	}
}

// TestBrowserUpdatePrompt: a new release (a new stamped version) makes the
// page offer a reload, which loads it; a mere restart of the same release
// does not. (Not parallel: it sets the package's version, which every
// server started meanwhile would read.)
func TestBrowserUpdatePrompt(t *testing.T) {
	setVersion := func(v string) {
		t.Helper()
		old := version
		version = v
		t.Cleanup(func() { version = old })
	}
	setVersion("v1")
	a := startApp(t, nil)
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	waitForWorker(t, ctx)
	pageVersion := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`goappGetenv("GOAPP_VERSION")`))
		must(t, err)
		return v
	}
	if v := pageVersion(); !strings.HasPrefix(v, "v1-") {
		t.Fatalf("page version %q", v)
	}
	restart := func() {
		a.Stop()
		a = startAppWith(t, appOptions{addr: a.Addr, data: a.Data, token: a.Token})
		poll(t, ctx, "the reconnection", `document.querySelector('#connection').dataset.state == "open"`)
	}

	// The same release again: the worker is checked, and nothing is new.
	restart()
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.serviceWorker.getRegistration().then(r => r.update()).then(() =>
		navigator.serviceWorker.getRegistration()).then(r => !r.installing && !r.waiting && !document.querySelector('#update'))`, chromedp.EvalAwaitPromise))
	must(t, err)
	if !same {
		t.Error("a restart of the same release installed a new version")
	}

	a.Stop()
	setVersion("v2")
	restart()
	poll(t, ctx, "the new-version prompt", `document.querySelector('#update') !== null`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#reload`))))
	poll(t, ctx, "the reload into the new version", `typeof goappGetenv == "function" && goappGetenv("GOAPP_VERSION").startsWith("v2-")`)
	poll(t, ctx, "the page to connect", `document.querySelector('#connection').dataset.state == "open"`)
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#update') === null`)); !ok {
		t.Error("the prompt stays after reloading into the new version")
	}
}

// TestBrowserInstallable: Chromium finds the page installable (manifest,
// icons, worker), and the Install button appears when the browser offers
// installation and opens its prompt.
func TestBrowserInstallable(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newTab(t, false) // Chromium offers installation in its default context only
	signIn(t, ctx, a.URL, a.Token)
	waitForWorker(t, ctx)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		m, err := cdp.Call(ctx, t, page.GetAppManifest, page.GetAppManifestParams{})
		if err != nil {
			return err
		}
		if len(m.Errors) > 0 || !strings.HasSuffix(m.URL, "/manifest.webmanifest") {
			return errorf("manifest %s: errors %v", m.URL, m.Errors)
		}
		inst, err := cdp.Call(ctx, t, page.GetInstallabilityErrors, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, e := range inst.InstallabilityErrors {
			return errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
		}
		return nil
	})))

	// Chromium offers installation on its own once it finds the page
	// installable; the offer is replaced with one whose prompt the test
	// sees (the real one would wait for a person).
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const e = new Event('beforeinstallprompt', {cancelable: true});
		e.prompt = () => { window.installPrompted = true; };
		e.userChoice = Promise.resolve({outcome: 'dismissed'});
		return window.dispatchEvent(e);
	})()`))
	must(t, err)
	poll(t, ctx, "the Install button", `document.querySelector('#install') !== null`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#install`))))
	poll(t, ctx, "the browser's install prompt", `window.installPrompted === true`)
	// An offer serves once: the button goes until the browser offers again.
	poll(t, ctx, "the Install button to go", `document.querySelector('#install') === null`)
}

// TestServeTLS: with -tls-cert and -tls-key the server speaks HTTPS and
// WSS only, and tells browsers to stay on HTTPS (HSTS).
func TestServeTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	a := startAppWith(t, appOptions{args: []string{"-tls-cert", certFile, "-tls-key", keyFile}})
	if !strings.HasPrefix(a.URL, "https://") {
		t.Fatalf("listening on %s", a.URL)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get(a.URL + "/healthz")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Strict-Transport-Security") == "" || res.TLS == nil {
		t.Errorf("GET /healthz over TLS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	// Plain HTTP on the TLS port gets nothing it could use.
	if res, err := http.Get("http://" + a.Addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP served on the TLS port")
		}
	}
	a.client = client
	if f := firstFrame(t, a, a.Token); f.Type != protocol.ControlHello {
		t.Errorf("over WSS: first frame %+v, want hello", f)
	}

	var stderr strings.Builder
	err = run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-tls-cert", certFile}, func(string) string { return "" }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-tls-key") {
		t.Errorf("-tls-cert alone: %v", err)
	}
	err = run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-tls-cert", keyFile, "-tls-key", keyFile}, func(string) string { return "" }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("a key for a certificate: %v", err)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their files and a pool that trusts the certificate.
func selfSigned(tb testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(tb, err)
	cert, err := x509.ParseCertificate(der)
	must(tb, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(tb, err)
	dir := tb.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(tb, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(tb, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// TestOneBinary: the binary, built with its version stamped as `make
// build` does and copied alone into an empty folder, is the whole
// deployment: it serves the page, its wasm and its worker, at that version.
func TestOneBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "wasmchat")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=v9.9.9-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	must(t, err)
	if strings.TrimSpace(string(out)) != "v9.9.9-test" {
		t.Errorf("wasmchat version: %q", out)
	}

	base, _ := startBinary(t, bin, dir, []string{"WASMCHAT_UPSTREAM=demo", "PATH=/usr/bin:/bin"})
	fetch := func(p string) string {
		res, err := http.Get(base + p)
		must(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		must(t, err)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
		return string(b)
	}
	appJS := fetch("/app.js")
	wasm := regexp.MustCompile(`"(/web/app\.[0-9a-f]{12}\.wasm)"`).FindStringSubmatch(appJS)
	if !strings.Contains(appJS, `"GOAPP_VERSION":"v9.9.9-test-`) || wasm == nil {
		t.Fatalf("app.js does not carry the stamped version and the wasm:\n%s", appJS)
	}
	if n := len(fetch(wasm[1])); n < 1<<20 {
		t.Errorf("the embedded wasm is %d bytes", n)
	}
	if w := fetch("/app-worker.js"); !strings.Contains(w, "v9.9.9-test-") {
		t.Error("the worker is not at the stamped version")
	}
	if !strings.Contains(fetch("/"), "wasmchat") {
		t.Error("no page")
	}
}

// TestStaticOut: `wasmchat static` replaces the site an earlier build
// wrote, and never empties a folder that holds anything else.
func TestStaticOut(t *testing.T) {
	t.Parallel()
	static := func(out string) error {
		return run(context.Background(), []string{"static", "-out", out, "-server", "https://chat.example.com"}, nil, io.Discard, io.Discard)
	}
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	must(t, os.WriteFile(keep, []byte("mine"), 0o644))
	if err := static(dir); err == nil || !strings.Contains(err.Error(), "holds no static site") {
		t.Errorf("static into a folder of other files: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("the folder's file is gone: %v", err)
	}
	site := filepath.Join(dir, "dist")
	must(t, static(site))
	stale := filepath.Join(site, "web", "app.000000000000.wasm")
	must(t, os.WriteFile(stale, nil, 0o644))
	must(t, static(site))
	if _, err := os.Stat(stale); err == nil {
		t.Error("an earlier build's file stayed")
	}
	if _, err := os.Stat(filepath.Join(site, "index.html")); err != nil {
		t.Error(err)
	}
	if err := run(context.Background(), []string{"static", "-out", t.TempDir()}, nil, io.Discard, io.Discard); err == nil {
		t.Error("a static site with no server was written")
	}
}
