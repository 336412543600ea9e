// Package protocol is the wire contract between the wasmchat page and server,
// imported by both sides. It imports only the standard library so that the
// wasm page links nothing of the server.
//
// The protocol is a superset of the seed page's: a client written for the
// seed page keeps working unchanged.
//
//   - Endpoint: GET /ws/{token}-{channel} (seed form; channel 0 chat, 1 app),
//     or GET /ws/{channel} with the token carried in the
//     Sec-WebSocket-Protocol header as SubprotocolTokenPrefix+token next to
//     Subprotocol, which keeps the token out of URLs and access logs.
//   - Client to server: a text frame that is not a JSON object with a string
//     "type" is a question (the seed form). A JSON object with a "type" is a
//     ClientFrame: ask, stop, resume or ping.
//   - Server to client: every frame is a JSON object with "status" and
//     "content" (ServerFrame), so the seed page's status == 0 / 2 logic works
//     unchanged: 0 a chunk, 1 an error, 2 the end of an answer, 3 a control
//     frame the seed ignores.
//
// Offsets are byte offsets into an answer's UTF-8 text. A chunk's content
// starts at its Offset and never splits a rune, so a client that holds n
// bytes of an answer drops any chunk that ends at or before n, and asks to
// resume from n when a chunk starts after it.
package protocol
