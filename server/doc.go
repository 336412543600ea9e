// Package server is wasmchat's server: it serves the page (go-app's
// document, the wasm and the worker), the HTTP API, and the WebSocket
// endpoint through which every question is asked and every answer streams.
// What a maintainer needs before touching its core follows; the wire
// protocol itself is package protocol's.
//
// # The answer log
//
// An answer (answer.go) is a log of its text, addressed by byte offset. Its
// generation appends to it; any number of followers read it from any
// offset, live or after its end, each on its own goroutine, and send it to
// their connection as chunk frames then the end (or error) frame. A
// follower coalesces: after a chunk frame the next waits at least 100 ms,
// and up to 300 ms while it would carry under 128 bytes. Offsets are rune
// boundaries, so a client that holds n bytes resumes from n and nothing is
// sent twice or lost. Generation runs under the hub's context, not a
// connection's: a dropped socket does not stop an answer, a stop frame or
// the shutdown does.
//
// # The hub
//
// The hub (hub.go) owns the answers in memory. Its lock guards only maps
// and counters, never store I/O: ask checks the per-user limits and
// reserves the answer's slot and client id under it, then hands the ask to
// a committer, which records every ask waiting in one transaction
// (store.Asks: question, empty answer, the replace's cut) and answers each.
// Only then does ask return, so an acknowledged question is never lost. An
// ask resent with the same client id waits for, and joins, the first one's
// answer; across restarts and instances the database's unique client id
// does the same. The saver writes the progress of every streaming answer
// in one transaction every 250 ms (100 ms with several instances), and an
// answer's end is written with retries until it takes.
//
// # Several instances
//
// With PostgreSQL (store.Feed), the writes of the saver, of an end and of
// a stop also send a NOTIFY naming the answers. An instance asked to resume
// an answer another generates mirrors it (answer.remote): at each event it
// reads the new text from the store and appends it to its own log, so its
// followers work as for a local answer. An answer whose instance died goes
// unwritten; after Config.StaleAnswers any instance ends it interrupted,
// and that end reaches the mirrors the same way.
//
// # Connections
//
// A connection (ws.go) is one goroutine, its reader, plus a follower per
// answer it reads. Frames are written by whoever sends them; a client too
// slow to read for writeTimeout is dropped. Pings are timers. Store calls
// made on a reader run on a goroutine of their own (aside), so the deep
// stack of a SQLite query does not stay with an idle connection.
//
// # Shutdown
//
// Server.Shutdown refuses new questions, lets the answers in flight finish
// until its context ends, interrupts the rest (their end frames say
// "interrupted"), waits for every generation and its final write, stops the
// saver and the committers, and closes every connection with "going away"
// once its followers have sent their end frames. Call it after
// http.Server.Shutdown, which does not wait for WebSockets.
package server
