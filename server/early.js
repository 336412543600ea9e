// wasmchat's first script: inline in the page's head (the CSP allows it by
// its hash), so it runs before the page is painted, with no request.
//
// Until the Go program runs, the page is go-app's prerendered HTML. This
// keeps what is typed there: Enter (or Send) in the question box queues the
// question in localStorage (the page asks it once it runs) and shows it;
// Enter in an empty box does nothing. When the Go page replaces the
// prerendered question box, the text still in it, the caret and the focus
// move to the live one in the same task, before any other keystroke is
// handled. The html element gets the class "live" then; until it does,
// controls that need Go look inactive (style.css). It also turns go-app's
// loading label into a thin progress bar (the loader's --progress), shows
// the label if the program cannot start, and applies the theme chosen in
// the page before the first paint, and opens the page's WebSocket (below).
// (It looks the box up by id, and its
// text names no CSS selector of it: chromedp's default query in the browser
// tests searches the page's text too, this script's included.)
(() => {
  const data = document.currentScript.dataset;
  const prefix = data.prefix || "";
  const site = (name) => (prefix ? prefix + "/" : "") + name;
  const key = site("wasmchat.early");

  // f runs right after the page's first frame. (In a message, not a
  // timer: while a page loads, Chromium runs timers after its loading
  // tasks, which put a socket opened so after the Go program's start.)
  const afterFirstFrame = (f) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = f;
    channel.port2.postMessage(null);
  });

  // The page's WebSocket, opened before the Go page runs: its handshake
  // runs while the wasm downloads and starts, instead of after. The socket is
  // the one the Go page would open (app/start.go): to data-socket
  // (resolved against the page's origin), offering data-protocols and the
  // token, which is what the page signs in with (the stored one, else a
  // login link's #token=: a link for another account than the stored one's
  // waits for the reader's yes, app/switch.go).
  // Not when the settings chose another server, nor offline, nor signed
  // out. What arrives is kept, in order, until the Go page takes the socket
  // (window.wasmchatSocket.take, app/wsclient); if it finds the socket is
  // not the one it wants, it closes it and dials its own. Taken before it
  // was opened (no frame yet), it is never opened: ws stays null, and the
  // Go page dials.
  try {
    const hash = /^#token=(.+)$/.exec(location.hash);
    const token = localStorage.getItem(site("Authorization")) || (hash ? hash[1] : null);
    if (data.socket && token && navigator.onLine && localStorage.getItem(site("wasmchat.server")) === null) {
      const url = new URL(data.socket, location.origin);
      url.protocol = url.protocol.replace(/^http/, "ws");
      const protocols = data.protocols.split(" ").concat(data.tokenPrefix + token);
      const events = [];
      const keep = (e) => events.push(e);
      const early = (window.wasmchatSocket = {
        url: url.href, protocols, ws: null,
        open() {
          if (early.ws) {
            return;
          }
          try {
            early.ws = new WebSocket(url.href, protocols);
          } catch {
            return; // the Go page dials, and says why it cannot
          }
          early.ws.binaryType = "arraybuffer";
          early.ws.addEventListener("open", () => performance.mark("ws-open"));
          for (const type of ["open", "message", "close"]) {
            early.ws.addEventListener(type, keep);
          }
        },
        take() {
          for (const type of ["open", "message", "close"]) {
            early.ws?.removeEventListener(type, keep);
          }
          delete window.wasmchatSocket;
          return events;
        },
      });
    }
  } catch {}
  // On a first visit (no service worker controls the page yet) the
  // page's WebSocket opens right after the first frame: its handshake, and
  // the server's answer, would otherwise run beside that frame, and on a
  // near server and a small machine they delayed it by about 10 ms (of
  // 110, measured on 2 cores); the wasm's download then takes hundreds of
  // milliseconds more, so the socket still opens long before the Go
  // program wants it. Once the worker has the page, the wasm comes from its
  // cache and the program starts about 200 ms in: the socket opens at once,
  // as its open event would otherwise wait behind the program's first
  // long turn. A tab opened in the background draws no frame: there the
  // Go page dials its own socket.
  if (navigator.serviceWorker?.controller) {
    window.wasmchatSocket?.open();
  } else {
    afterFirstFrame(() => window.wasmchatSocket?.open());
  }

  // The theme chosen in the page, from the first paint (app/session.go).
  try {
    const theme = localStorage.getItem("wasmchat.theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.dataset.theme = theme;
    }
  } catch {}
  let first = null; // the prerendered question box
  let focused = false;
  let live = false;

  const prerendered = (el) => {
    if (live || !el || el.id !== "composer") {
      return false;
    }
    first = first || el;
    return el === first;
  };
  const show = (text) => {
    const list = document.getElementById("messages");
    if (!list) {
      return;
    }
    list.querySelector(".empty")?.remove();
    const msg = document.createElement("article");
    msg.className = "message user";
    msg.dataset.role = "user";
    msg.dataset.status = "queued";
    const content = document.createElement("div");
    content.className = "content";
    content.textContent = text;
    msg.append(content);
    list.append(msg);
  };
  const submit = (e, box) => {
    e.preventDefault();
    const text = box.value.trim();
    if (!text) {
      return;
    }
    let queued = [];
    try {
      queued = JSON.parse(localStorage.getItem(key) || "[]");
      queued.push(text);
      localStorage.setItem(key, JSON.stringify(queued));
    } catch {
      return; // no storage: the text stays in the box, and moves on
    }
    box.value = "";
    show(text);
  };

  document.addEventListener("keydown", (e) => {
    if (prerendered(e.target) && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      submit(e, e.target);
    }
  }, true);
  document.addEventListener("submit", (e) => {
    const box = document.getElementById("composer");
    if (box && box.form === e.target && prerendered(box)) {
      submit(e, box);
    }
  }, true);
  document.addEventListener("focusin", (e) => {
    if (prerendered(e.target)) {
      focused = true;
    }
  }, true);
  document.addEventListener("focusout", (e) => {
    if (prerendered(e.target)) {
      focused = false;
    }
  }, true);

  // Mutation records are delivered in a microtask: right after the Go
  // program's turn that replaced the page, before the next input event.
  const watch = new MutationObserver(() => {
    const label = document.getElementById("app-wasm-loader-label");
    if (label) {
      // go-app writes the progress, or why the program could not start,
      // which then shows.
      const percent = /(\d+)\s*%/.exec(label.textContent);
      label.parentElement.style.setProperty("--progress", percent ? Math.min(100, +percent[1]) + "%" : "0%");
      label.parentElement.classList.toggle("failed", !percent && label.textContent.trim() !== "");
    }
    const box = document.getElementById("composer");
    if (!first) {
      // The prerendered box, as soon as the parser has put it in: it takes
      // the focus now, as its autofocus would at the first frame, so
      // typing works from the first paint on.
      first = box;
      if (box && (!document.activeElement || document.activeElement === document.body)) {
        box.focus();
      }
      return;
    }
    if (!box || box === first) {
      return;
    }
    live = true;
    watch.disconnect();
    document.documentElement.classList.add("live");
    if (first.value && !box.value) {
      box.value = first.value;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (focused || document.activeElement === document.body || !document.activeElement) {
      box.focus();
      box.setSelectionRange(first.selectionStart, first.selectionEnd, first.selectionDirection);
    }
  });
  watch.observe(document, { childList: true, subtree: true, characterData: true });
})();
