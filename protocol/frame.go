package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Subprotocol is the WebSocket subprotocol the server selects for clients
// that offer it. Our page offers it together with SubprotocolTokenPrefix+token.
const Subprotocol = "wasmchat.v1"

// SubprotocolTokenPrefix prefixes the token in the Sec-WebSocket-Protocol
// list offered by our page, so the token never appears in a URL.
const SubprotocolTokenPrefix = "wasmchat.token."

// Channels of the seed endpoint /ws/{token}-{channel}.
const (
	ChannelChat = 0 // plain chat
	ChannelApp  = 1 // an app (preset) runs the question
)

// Status values of a ServerFrame. The seed page acts on 0 and 2 only.
const (
	StatusChunk   = 0 // a chunk of an answer
	StatusError   = 1 // an error a person can act on; Code is stable
	StatusEnd     = 2 // the end of an answer; Content may hold a last chunk
	StatusControl = 3 // hello, ack, pong: ignored by the seed page
)

// Finish reasons carried by a StatusEnd frame.
const (
	FinishStop        = "stop"        // the model finished
	FinishLength      = "length"      // the model hit its length limit
	FinishCancelled   = "cancelled"   // the user pressed stop
	FinishInterrupted = "interrupted" // the server stopped mid-answer
)

// Types of control frames (StatusControl) sent by the server.
const (
	ControlHello = "hello" // first frame on a connection
	ControlAck   = "ack"   // an ask was accepted: names its answer
	ControlPong  = "pong"  // reply to a ping
	ControlApps  = "apps"  // Content: the apps, a JSON array of App
	// ControlFeatures follows hello: Content is a JSON array of the
	// Feature* values this server supports; a client offers only those.
	ControlFeatures = "features"
)

// Features a server may support (ControlFeatures).
const (
	// FeatureReplace: an ask may carry Replace, so a conversation can
	// continue from an earlier point (edit and resend, regenerate). A server
	// offers it only when its model is sent the whole conversation with each
	// question; a backend that keeps its own context could not forget.
	FeatureReplace = "replace"
	// FeatureBranches: what an ask with Replace takes the place of is kept
	// as another branch (Message.Parent), an ask may name its Parent and
	// ask to Regenerate, and POST /api/conversations/{id}/show switches
	// branches. Offered with FeatureReplace.
	FeatureBranches = "branches"
)

// Types of ClientFrame.
const (
	TypeAsk    = "ask"
	TypeStop   = "stop"
	TypeResume = "resume"
	TypePing   = "ping"
)

// Stable machine codes of error frames (StatusError).
const (
	CodeBadFrame     = "bad_frame"        // the frame could not be decoded
	CodeTooLarge     = "too_large"        // the question is over MaxQuestionBytes
	CodeUnauthorized = "unauthorized"     // unknown or revoked token
	CodeNotFound     = "not_found"        // no such answer for this user
	CodeUpstream     = "upstream"         // the model backend failed
	CodeUnavailable  = "unavailable"      // the server is shutting down
	CodeBadOffset    = "bad_offset"       // resume offset outside the answer
	CodeInvalidKey   = "invalid_key"      // the upstream refused the API key
	CodeRateLimited  = "rate_limited"     // the upstream asks to slow down
	CodeNoModel      = "model_not_found"  // the upstream has no such model
	CodeTooLong      = "context_too_long" // the conversation is over the model's context
	CodeUnreachable  = "unreachable"      // the upstream cannot be reached
	CodeTimeout      = "timeout"          // the upstream took too long
	CodeBroken       = "stream_broken"    // the upstream's stream broke mid-answer
	CodeUnknownApp   = "unknown_app"      // no app of that id
	CodeBusy         = "busy"             // an answer still streams where an ask would replace it
	CodeUnsupported  = "unsupported"      // the server does not support that (see ControlFeatures)
	CodeLimit        = "limit"            // past one of the server's per-user limits; try again later
)

// MaxQuestionBytes bounds the UTF-8 length of a question.
const MaxQuestionBytes = 64 << 10

// MaxFrameBytes bounds one client frame on the wire: a question of
// MaxQuestionBytes JSON-escaped, plus the other fields.
const MaxFrameBytes = 6*MaxQuestionBytes + 4<<10

// Sentinel errors of the decoders. Each decoder error wraps one of them.
var (
	ErrMalformed    = errors.New("protocol: malformed frame")
	ErrUnknownType  = errors.New("protocol: unknown frame type")
	ErrEmpty        = errors.New("protocol: empty question")
	ErrTooLarge     = errors.New("protocol: question too large")
	ErrInvalidUTF8  = errors.New("protocol: invalid UTF-8")
	ErrMissingField = errors.New("protocol: missing field")
)

// ServerFrame is every frame the server sends. Status and Content are always
// present on the wire, as the seed page expects.
type ServerFrame struct {
	Status  int    `json:"status"`
	Content string `json:"content"`

	// Type names a control frame (StatusControl).
	Type string `json:"type,omitempty"`
	// Code is the stable machine code of an error frame.
	Code string `json:"code,omitempty"`
	// Answer and Conversation identify the answer a chunk belongs to.
	Answer       string `json:"answer,omitempty"`
	Conversation string `json:"conversation,omitempty"`
	// Model, on an ack, is the model the answer comes from; "" when the
	// server does not know it (the seed backend's).
	Model string `json:"model,omitempty"`
	// Question, on an ack, is the id of the ask's question ("" when not
	// known: an ask joined on another instance).
	Question string `json:"question,omitempty"`
	// Client echoes the client id of the ask an ack or error answers.
	Client string `json:"client,omitempty"`
	// Offset is the byte offset of Content in the answer's text.
	Offset int `json:"offset,omitempty"`
	// Finish is why an answer ended (StatusEnd).
	Finish string `json:"finish,omitempty"`
	// Usage is the upstream's token count for the answer, on StatusEnd,
	// when the upstream reports it.
	Usage *Usage `json:"usage,omitempty"`
	// RetryAfter is how many seconds to wait, on a rate-limit error.
	RetryAfter int `json:"retry_after,omitempty"`
}

// Usage is an answer's token count as the upstream reports it.
type Usage struct {
	Prompt     int `json:"prompt"`
	Completion int `json:"completion"`
	Total      int `json:"total"`
}

// App is a named preset (system prompt, model, temperature) a question can
// run in, as the server lists them to the page.
type App struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// ClientFrame is a frame from a client. A seed-form question decodes to a
// ClientFrame of type TypeAsk with only Text set.
type ClientFrame struct {
	Type string `json:"type"`
	// ID is the client's id for an ask, so a resent ask starts no second
	// answer.
	ID           string `json:"id,omitempty"`
	Conversation string `json:"conversation,omitempty"`
	Text         string `json:"text,omitempty"`
	App          string `json:"app,omitempty"`
	// Model, on an ask, is the model to answer with (GET /api/models);
	// "" for the server's default. An app with a model of its own keeps
	// it.
	Model string `json:"model,omitempty"`
	// System and Temperature, on the ask that starts a conversation, are
	// its own instructions (see Conversation); later asks leave them (the
	// API changes them).
	System      string   `json:"system,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	// Replace, on an ask, names an answer of Conversation that this ask
	// takes the place of: its question is asked anew as Text (edit and
	// resend). A server with FeatureBranches keeps the replaced messages
	// as another branch; one without removes them and all after.
	Replace string `json:"replace,omitempty"`
	// Regenerate, with Replace, asks the replaced answer's question again:
	// a new answer beside it, no new question. Text is that question's, so
	// a server without FeatureBranches does the same by replacing.
	Regenerate bool `json:"regenerate,omitempty"`
	// Parent, on an ask in a conversation, is the message the question
	// follows: the last one of the branch shown. "" for the conversation's
	// Leaf (the seed page's asks, and a page that does not know it yet).
	Parent string `json:"parent,omitempty"`
	// Attachments, on an ask, are the ids of files uploaded for the
	// question (POST /api/files), at most MaxAttachments.
	Attachments []string `json:"attachments,omitempty"`
	// Answer and Offset address an answer's text, for stop and resume.
	Answer string `json:"answer,omitempty"`
	Offset int    `json:"offset,omitempty"`
	// Seed is set by DecodeClient for a seed-form question (a bare text
	// frame), which continues the current conversation of its channel.
	Seed bool `json:"-"`
}

// DecodeClient decodes one text frame from a client. A frame that is not a
// JSON object with a string "type" field is a seed-form question.
func DecodeClient(data []byte) (ClientFrame, error) {
	if !utf8.Valid(data) {
		return ClientFrame{}, ErrInvalidUTF8
	}
	if f, ok, err := decodeTyped(data); ok || err != nil {
		return f, err
	}
	f := ClientFrame{Type: TypeAsk, Text: string(data), Seed: true}
	return f, checkQuestion(f.Text)
}

// decodeTyped reports ok when data is a JSON object with a string "type".
func decodeTyped(data []byte) (ClientFrame, bool, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return ClientFrame{}, false, nil
	}
	var probe struct {
		Type *string `json:"type"`
	}
	if json.Unmarshal(trimmed, &probe) != nil || probe.Type == nil {
		return ClientFrame{}, false, nil // a question that looks like JSON
	}
	var f ClientFrame
	if err := json.Unmarshal(trimmed, &f); err != nil {
		return ClientFrame{}, true, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return f, true, f.validate()
}

func (f ClientFrame) validate() error {
	switch f.Type {
	case TypeAsk:
		if (f.Replace != "" || f.Parent != "") && f.Conversation == "" {
			return fmt.Errorf("%w: replace and parent need the conversation", ErrMissingField)
		}
		if f.Regenerate && f.Replace == "" {
			return fmt.Errorf("%w: regenerate needs the answer it replaces", ErrMissingField)
		}
		if len(f.Attachments) > MaxAttachments {
			return fmt.Errorf("%w: %d attachments, at most %d", ErrMalformed, len(f.Attachments), MaxAttachments)
		}
		return checkQuestion(f.Text)
	case TypeStop:
		if f.Answer == "" {
			return fmt.Errorf("%w: stop needs an answer", ErrMissingField)
		}
	case TypeResume:
		if f.Answer == "" {
			return fmt.Errorf("%w: resume needs an answer", ErrMissingField)
		}
		if f.Offset < 0 {
			return fmt.Errorf("%w: negative offset", ErrMalformed)
		}
	case TypePing:
	default:
		return fmt.Errorf("%w: %q", ErrUnknownType, f.Type)
	}
	return nil
}

func checkQuestion(text string) error {
	if len(text) > MaxQuestionBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(text), MaxQuestionBytes)
	}
	if len(bytes.TrimSpace([]byte(text))) == 0 {
		return ErrEmpty
	}
	return nil
}

// DecodeServer decodes one frame from the server, as a client does.
func DecodeServer(data []byte) (ServerFrame, error) {
	var raw struct {
		Status  *int    `json:"status"`
		Content *string `json:"content"`
		ServerFrame
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return ServerFrame{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.Status == nil || raw.Content == nil {
		return ServerFrame{}, fmt.Errorf("%w: status and content are required", ErrMissingField)
	}
	f := raw.ServerFrame
	f.Status, f.Content = *raw.Status, *raw.Content
	if f.Status < StatusChunk || f.Status > StatusControl {
		return ServerFrame{}, fmt.Errorf("%w: status %d", ErrMalformed, f.Status)
	}
	if f.Offset < 0 {
		return ServerFrame{}, fmt.Errorf("%w: negative offset", ErrMalformed)
	}
	return f, nil
}

// Error is a failure the client is told of: a status-1 frame's stable Code
// and a Message a person can act on. The server returns its refusals as
// *Error (matched with errors.As) and sends them as they are.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Encode returns the JSON text of f.
func (f ServerFrame) Encode() []byte {
	b, err := json.Marshal(f)
	if err != nil {
		// Only strings and ints: Marshal cannot fail.
		panic(fmt.Sprintf("protocol: encode server frame: %v", err))
	}
	return b
}

// Encode returns the JSON text of f.
func (f ClientFrame) Encode() []byte {
	b, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("protocol: encode client frame: %v", err))
	}
	return b
}

// End returns the offset just past the content of a chunk frame.
func (f ServerFrame) End() int { return f.Offset + len(f.Content) }
