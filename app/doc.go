// Package app is the wasmchat page's views: go-app components compiled to
// WebAssembly, also compiled natively for server-side prerendering and
// tests.
//
// Import names: this package is named app, like go-app's package. Inside it,
// "app" always means go-app (github.com/maxence-charriere/go-app/v9/pkg/app);
// code outside that imports this package names it chatapp.
//
// Shape: the page's core is package session: a plain Go type that owns the
// conversations, the sidebar's list, the API calls, browser storage (behind
// session.Storage) and the frames of the wsclient.Client, tested natively.
// Chat is the page: it draws the session, hands it what the reader does,
// and draws again what the session reports changed (Chat.changed): one
// messageView for a chunk, the page otherwise. A messageView paces its own
// text with a typewriter.Writer and re-renders alone on each tick, so the
// cost of a tick does not grow with the conversation. What the views share
// (which view shows which message, scroll following) is Chat's view, not
// package state.
//
// Other components talk to Chat through go-app actions with named payload
// types (actions.go), never through func fields (go-app compares exported
// fields to decide what to re-render, and funcs never compare equal).
//
// Test hooks (stable): textarea#composer; .message elements with data-role
// user|assistant and data-status streaming|done|error|interrupted, text in a
// .content child; #connection with data-state.
package app
