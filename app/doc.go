// Package app is the wasmchat page: go-app components compiled to
// WebAssembly, also compiled natively for server-side prerendering and
// tests.
//
// Import names: this package is named app, like go-app's package. Inside it,
// "app" always means go-app (github.com/maxence-charriere/go-app/v9/pkg/app);
// code outside that imports this package names it chatapp.
//
// Shape: Chat is the page. It owns the Conversation (pure Go: offsets,
// duplicates, gaps) and the wsclient.Client, and renders one messageView per
// message. A messageView paces its own text with a typewriter.Writer and
// re-renders alone on each tick, so the cost of a tick does not grow with the
// conversation. Other components talk to Chat through go-app actions, never
// through func fields (go-app compares exported fields to decide what to
// re-render, and funcs never compare equal).
//
// Test hooks (stable): textarea#composer; .message elements with data-role
// user|assistant and data-status streaming|done|error|interrupted, text in a
// .content child; #connection with data-state.
package app
