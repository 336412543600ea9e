package server

import "context"

// Upstream produces answers: the embedded demo, an OpenAI-compatible model,
// or a seed-protocol backend.
type Upstream interface {
	// Stream generates the answer to req, calling emit with each chunk of
	// text in order (each a valid UTF-8 string), and returns the finish
	// reason (protocol.FinishStop or FinishLength). It returns when the
	// answer is done, fails, or ctx ends; emit is never called after.
	Stream(ctx context.Context, req Request, emit func(chunk string)) (finish string, err error)
}

// Request is what an Upstream answers.
type Request struct {
	Channel int    // protocol.ChannelChat or ChannelApp
	App     string // the app (preset) on ChannelApp
	Turns   []Turn // the conversation so far, the question last
}

// Turn is one message of a conversation.
type Turn struct {
	Role string // "system", "user" or "assistant"
	Text string
}

// Question returns the text of the last user turn.
func (r Request) Question() string {
	for i := len(r.Turns) - 1; i >= 0; i-- {
		if r.Turns[i].Role == "user" {
			return r.Turns[i].Text
		}
	}
	return ""
}

// Tokens authenticates the bearer tokens of WebSocket clients.
type Tokens interface {
	// Authenticate returns the user a token belongs to, or an error when the
	// token is unknown or cannot be checked.
	Authenticate(ctx context.Context, token string) (user string, err error)
}
