package protocol

import "time"

// The HTTP API's JSON (GET /api/conversations, /api/conversations/{id},
// /api/search, the export file): the server sends these, the page reads
// them, the store keeps them.

// Roles of a message, and of a turn sent to the model.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Statuses of a stored message (Message.Status).
const (
	MessageStreaming = "streaming" // an answer still being generated
	MessageDone      = "done"      // a question, or an answer that ended (see Finish)
	MessageFailed    = "error"     // an answer that failed (see ErrorCode)
)

// Conversation is a conversation's header.
type Conversation struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Channel int    `json:"channel"`
	App     string `json:"app,omitempty"`
	// Model is the model the conversation's questions go to: the one its
	// last question named; "" for the upstream's default.
	Model string `json:"model,omitempty"`
	// System and Temperature are the conversation's own instructions,
	// sent with each of its questions: a system prompt, and a sampling
	// temperature (0 to 2; nil: the app's, else the model's default). An
	// app's system prompt applies when System is empty.
	System      string   `json:"system,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	// Leaf is the last message of the branch shown: an edit or a
	// regenerate keeps what it replaces as another branch (Message.Parent),
	// and the conversation remembers which one was last asked in or
	// switched to. "" (or one not there): the newest message's.
	Leaf    string    `json:"leaf,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Message is a question or an answer.
type Message struct {
	ID           string `json:"id"`
	Conversation string `json:"conversation"`
	Role         string `json:"role"`
	Text         string `json:"text"`
	Status       string `json:"status"`
	Finish       string `json:"finish,omitempty"`     // Finish*, for an answer that ended
	ErrorCode    string `json:"error_code,omitempty"` // Code*, for StatusError
	ErrorText    string `json:"error,omitempty"`
	Usage        *Usage `json:"usage,omitempty"`
	Client       string `json:"client,omitempty"` // the ask's client id
	Model        string `json:"model,omitempty"`  // the model an answer came from
	// Parent is the message this one follows ("" for a first question):
	// the messages of a conversation are a tree, each branch a path from a
	// first question to a leaf. An export file without parents is one
	// branch in its order.
	Parent string `json:"parent,omitempty"`
	// Siblings, when a conversation's branch is read (GET
	// /api/conversations/{id}), are the ids of the messages with this
	// one's parent, this one's among them, oldest first; only for a message
	// with others beside it: the page's "‹ 2 / 3 ›".
	Siblings []string `json:"siblings,omitempty"`
	// Attachments, on a question, are the files asked with it.
	Attachments []Attachment `json:"attachments,omitempty"`
	Created     time.Time    `json:"created"`
}

// Attachment is a file asked with a question (POST /api/files; its bytes
// are GET /api/files/{id}, to its owner).
type Attachment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // an image (FileImageTypes) or text/plain
	Size int    `json:"size"` // bytes
}

// File is an attachment with its bytes, as an export file carries it
// (base64 in JSON).
type File struct {
	Attachment
	Data []byte `json:"data"`
}

// Limits of attachments.
const (
	MaxAttachments    = 10       // files on one question
	MaxImageBytes     = 10 << 20 // an image as uploaded (the page sends it downscaled)
	MaxTextFileBytes  = 1 << 20  // a text file
	MaxImageDimension = 2048     // the long side the page downscales an image to
)

// FileImageTypes are the images a question may carry (never SVG, which is
// a document that can run script).
var FileImageTypes = []string{"image/png", "image/jpeg", "image/webp", "image/gif"}

// Models is what GET /api/models lists: the models questions may name,
// and the one a question that names none goes to.
type Models struct {
	Models  []string `json:"models"`
	Default string   `json:"default"`
}

// Share is a conversation's share link: Path, on the server that
// answered, opens a read-only copy for anyone who has it.
type Share struct {
	Conversation string `json:"conversation"`
	Path         string `json:"path"`
}

// Me is who a token signs in as (GET /api/me): the page shows it, and
// asks before a login link switches to another.
type Me struct {
	Name string `json:"name"`
}

// Hit is a search result: a message, or a conversation's title when the
// match is there (then Message is empty).
type Hit struct {
	Conversation string    `json:"conversation"`
	Title        string    `json:"title"`
	Message      string    `json:"message,omitempty"`
	Role         string    `json:"role,omitempty"`
	Snippet      string    `json:"snippet"`
	Updated      time.Time `json:"updated"`
}

// Export is one conversation with its messages (GET
// /api/conversations/{id}, and the export file).
type Export struct {
	Conversation
	Messages []Message `json:"messages"`
	// Files are the conversation's attachments, in an export file.
	Files []File `json:"files,omitempty"`
}
