// Package upstream is the contract between the server and what produces
// answers: the embedded demo, an OpenAI-compatible model, a seed-protocol
// backend (its subpackages). It depends on package protocol alone, so an
// implementation links neither the server nor the store.
package upstream

import (
	"context"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// Upstream produces answers: the embedded demo, an OpenAI-compatible model,
// or a seed-protocol backend.
type Upstream interface {
	// Stream generates the answer to req, calling emit with each chunk of
	// text in order (each a valid UTF-8 string, from Stream's goroutine),
	// and returns how the answer finished. It returns when the answer is
	// done, fails, or ctx ends (then with ctx's error); emit is never called
	// after. Failures a person can act on are *Error.
	Stream(ctx context.Context, req Request, emit func(chunk string)) (Result, error)
}

// Stateless is implemented by an Upstream that is sent the whole
// conversation with each question (Request.Turns) and keeps nothing of its
// own between questions. Only with such an upstream can a conversation
// continue from an earlier point, so the server offers edit and regenerate
// (protocol.FeatureReplace) only when Stateless reports true.
type Stateless interface {
	Stateless() bool
}

// Lister is implemented by an Upstream that offers a choice of models:
// the server lists them (GET /api/models) for the page's model picker, and
// refuses a question naming another.
type Lister interface {
	// Models returns the models it offers.
	Models(ctx context.Context) ([]string, error)
	// DefaultModel is the model a request that names none goes to.
	DefaultModel() string
}

// Request is what an Upstream answers.
type Request struct {
	Channel int    // protocol.ChannelChat or ChannelApp
	App     string // the app (preset) the question runs in, if any
	// Model and Temperature override the upstream's defaults when set.
	Model       string
	Temperature *float64
	// Turns is the conversation so far, trimmed to the context budget: the
	// system prompt first when there is one, the question last.
	Turns []Turn
}

// Turn is one message of a conversation.
type Turn struct {
	Role string // RoleSystem, RoleUser or RoleAssistant
	Text string
	// Images, on a question, are the images asked with it (the question's
	// text files are in Text).
	Images []Image
}

// Image is an image asked with a question: one of
// protocol.FileImageTypes.
type Image struct {
	Name, Type string
	Data       []byte
}

// Roles of a Turn.
const (
	RoleSystem    = protocol.RoleSystem
	RoleUser      = protocol.RoleUser
	RoleAssistant = protocol.RoleAssistant
)

// Question returns the text of the last user turn.
func (r Request) Question() string {
	for i := len(r.Turns) - 1; i >= 0; i-- {
		if r.Turns[i].Role == RoleUser {
			return r.Turns[i].Text
		}
	}
	return ""
}

// Result is how an answer finished.
type Result struct {
	Finish string          // protocol.FinishStop or FinishLength
	Usage  *protocol.Usage // when the upstream reports it
}

// Error is an upstream failure a person can act on. Its Error text
// is Message only: Err may hold an upstream body or a URL with secrets, so
// it is kept for errors.Is/As and never printed.
type Error struct {
	Code       string // a protocol.Code* value
	Message    string // what the person should know and do
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Err }
