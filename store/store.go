// Package store keeps users, their tokens, conversations and messages.
//
// Two implementations pass one contract suite (contract_test.go): SQLite in
// a file through modernc.org/sqlite (pure Go; the embedded default) and
// PostgreSQL through pgx, for several server instances sharing one
// database. Both are the same database/sql code over a dialect: the SQL
// that differs (DDL, placeholders, case-insensitive matching) is in
// sqlite.go and postgres.go.
//
// # Isolation
//
// Every conversation and message is keyed by (user, id): a query can only
// name rows of the user it is given, and an id chosen by one user's client
// can never reach, collide with or reveal another user's row.
//
// # Answers
//
// An answer is a message of role assistant created with status
// StatusStreaming (Ask); its text grows by SaveAnswers while it streams and is
// set whole by EndAnswer. A server that died mid-answer leaves it
// streaming: InterruptUnfinished ends those as interrupted with the text
// they had; the server runs it at start (one SQLite process: every
// unfinished answer is a dead one) and, with several instances sharing
// PostgreSQL, periodically for answers no instance has written to lately.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// Errors of the store. Wrapped errors from the database are neither.
var (
	ErrNotFound     = errors.New("store: not found")
	ErrUnauthorized = errors.New("store: unknown or revoked token")
	// ErrInvalid wraps a value the store refuses; its text says which.
	ErrInvalid = errors.New("store: invalid")
)

// Message statuses and roles: the API's (package protocol).
const (
	StatusStreaming = protocol.MessageStreaming
	StatusDone      = protocol.MessageDone
	StatusError     = protocol.MessageFailed
	RoleUser        = protocol.RoleUser
	RoleAssistant   = protocol.RoleAssistant
)

// Limits the store enforces on what it is given.
const (
	MaxTitleRunes = 200
	MaxIDBytes    = 64
)

// Token is a bearer token as listed: never the token itself, which only
// AddToken returns, once.
type Token struct {
	ID       string    `json:"id"`
	User     string    `json:"user"` // the user's id
	UserName string    `json:"user_name"`
	Label    string    `json:"label,omitempty"`
	Created  time.Time `json:"created"`
}

// What the store keeps is what the API sends (package protocol).
type (
	Conversation = protocol.Conversation
	Message      = protocol.Message
	Hit          = protocol.Hit
	Export       = protocol.Export
)

// Ask is a question as the server records it (Store.Ask).
type Ask struct {
	// User is whose ask it is (for Store.Asks; Ask takes it apart).
	User string
	// Conversation is the conversation to ask in: its ID, or "" for a new
	// one, which gets Title, Channel and App.
	Conversation Conversation
	// Replace, when set, is an answer of the conversation that this ask
	// takes the place of: the question goes beside that answer's question,
	// a new branch; both stay. With Regenerate, no question is added: the
	// new answer goes beside the one replaced, to its question.
	Replace    string
	Regenerate bool
	// Parent, when set, is the message of the conversation the question
	// follows; "" for the last of the branch it shows (Conversation.Leaf).
	Parent string
	// Question is the question's text; Client the ask's client id (kept
	// on both messages): a user's client id has one answer, enforced by the
	// database, so an ask sent again, to any instance, starts nothing.
	Question, Client string
	// Answer is the id of the answer's message.
	Answer string
	// Model is the model the ask named ("" for the upstream's default):
	// the conversation's model from now on. AnswerModel is the model the
	// answer comes from, kept on it.
	Model, AnswerModel string
	// History is how many of the last messages before the question to
	// return (0: none).
	History int
	// Attachments are the ids of files the user uploaded (AddFile) to ask
	// with the question: each kept with the conversation from then on. A
	// file not the user's, or asked in another conversation, is
	// ErrNotFound. A regenerate asks with its question's.
	Attachments []string
}

// Asked is what Store.Ask recorded.
type Asked struct {
	Conversation Conversation
	History      []Message // the last messages of the branch before the question, oldest first
	// QuestionID is the question's id; Question its text: the ask's, or
	// for a regenerate the one asked again. Files are its attachments
	// (without their bytes: File reads them).
	QuestionID, Question string
	Files                []FileData
	// Existing is the id of the answer an earlier ask of the same client
	// id started (on this instance or another): then nothing was written,
	// and Conversation is that answer's (its ID only).
	Existing string
	// Err is why this ask of a Store.Asks was not recorded.
	Err error
}

// AnswerSave is one answer's progressive save (Store.SaveAnswers).
type AnswerSave struct {
	User, ID string
	Text     string // new text to append; "" only marks it alive
}

// Feed is what a store that several instances share offers so that each
// sees the others' answers as they stream: the PostgreSQL store (LISTEN and
// NOTIFY: no other service). SQLite, one instance's, has none.
//
// The events only say that something changed: the text itself is read from
// the store, which is written in the transaction that sends the event, so
// the text is there when the event arrives. SaveAnswers sends EventText
// for every answer it gave text to, EndAnswer and InterruptUnfinished
// EventEnd, NotifyStop EventStop.
type Feed interface {
	// Listen calls f with the events of every instance, its own included,
	// until ctx ends. After a (re)connection it calls f with EventResync:
	// events may have been missed, everything watched is to be read again.
	Listen(ctx context.Context, f func(Event))
	// NotifyStop asks whichever instance generates the user's answer id to
	// stop it.
	NotifyStop(ctx context.Context, user, id string) error
}

// Event is a change to an answer, from any instance (Feed).
type Event struct {
	Kind         EventKind
	User, Answer string
	// Sent is when the instance that wrote it sent it (to the
	// millisecond; zero for a resync), for the lag of the fan-out.
	Sent time.Time
}

// EventKind says what changed.
type EventKind byte

const (
	EventText   EventKind = 't' // the answer's stored text grew
	EventEnd    EventKind = 'e' // it ended: its status is no longer streaming
	EventStop   EventKind = 's' // a client asked to stop it
	EventResync EventKind = 'r' // events may have been missed
)

// Store is what the server keeps. Every method taking a user reads and
// writes only that user's rows. Methods are safe for concurrent use.
type Store interface {
	// Authenticate returns the id of the user a token belongs to, or
	// ErrUnauthorized.
	Authenticate(ctx context.Context, token string) (user string, err error)
	// AddToken creates a token for the user named name (creating the user
	// on first use) and returns it; only its hash is kept.
	AddToken(ctx context.Context, name, label string) (Token, string, error)
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken deletes a token; its connections are refused from then on.
	RevokeToken(ctx context.Context, id string) error
	// UserName returns the name of user (an id), or ErrNotFound.
	UserName(ctx context.Context, user string) (string, error)
	// Valid returns which of tokens are valid: the server closes the open
	// WebSockets of the others (server.TokenChecker).
	Valid(ctx context.Context, tokens []string) (map[string]bool, error)
	// AddTokenHash keeps a token known only by its SHA-256 hash (hex), for
	// tokens made before the store held them. A hash already kept is left.
	AddTokenHash(ctx context.Context, name, hash string, created time.Time) error

	// OpenConversation returns the user's conversation c.ID, creating it
	// from c (a new id when c.ID is empty) when the user has none of that
	// id. created tells which.
	OpenConversation(ctx context.Context, user string, c Conversation) (conv Conversation, created bool, err error)
	// Conversations lists the user's conversations, most recently updated
	// first, at most limit (0: all).
	Conversations(ctx context.Context, user string, limit int) ([]Conversation, error)
	// Conversation returns one conversation's header.
	Conversation(ctx context.Context, user, id string) (Conversation, error)
	// Messages returns the last limit (0: all) messages of the branch a
	// conversation shows (Conversation.Leaf), oldest first, each with its
	// Siblings when it has any.
	Messages(ctx context.Context, user, conversation string, limit int) ([]Message, error)
	// Tree returns every message of a conversation, every branch, oldest
	// first, each with its Parent.
	Tree(ctx context.Context, user, conversation string) ([]Message, error)
	// ShowBranch makes the branch through message id the one conversation
	// shows: when id is not on the branch shown, the newest message at or
	// below it is the conversation's Leaf from now on. ErrNotFound when id
	// is not a message of the conversation.
	ShowBranch(ctx context.Context, user, conversation, id string) error
	RenameConversation(ctx context.Context, user, id, title string) error
	// SetInstructions sets a conversation's system prompt and temperature
	// (nil: the default); ErrInvalid for a prompt over MaxSystemChars or a
	// temperature outside 0..2.
	SetInstructions(ctx context.Context, user, id, system string, temperature *float64) error
	DeleteConversation(ctx context.Context, user, id string) error
	// Share keeps snapshot (what a share link shows: the conversation as
	// it is now) for the user's conversation id and returns the link's
	// secret, the same one when it was shared before. Unshare ends the
	// link; deleting the conversation does too. Shares lists the user's,
	// conversation id to secret; Shared returns a secret's snapshot, for
	// anyone who has it, or ErrNotFound.
	Share(ctx context.Context, user, id string, snapshot []byte) (secret string, err error)
	Unshare(ctx context.Context, user, id string) error
	Shares(ctx context.Context, user string) (map[string]string, error)
	Shared(ctx context.Context, secret string) ([]byte, error)
	// AddFile keeps a file the user uploads to ask with (Ask.Attachments)
	// and returns it as listed, with a new ID; ErrQuota when the user's
	// files would then take more than quota bytes. A file not asked with
	// within UnaskedFileAge (taken back, or its page closed for good) is
	// deleted at the user's next upload, before the quota is counted.
	// File returns one of the user's files with its bytes, or ErrNotFound.
	AddFile(ctx context.Context, user string, f FileData, quota int64) (Attachment, error)
	File(ctx context.Context, user, id string) (FileData, error)
	// Search finds q in the user's titles and messages, case-insensitively
	// as a substring (so Chinese needs no word segmentation), most recent
	// first. It looks through each message's first SearchChars, and stops
	// when ctx ends.
	Search(ctx context.Context, user, q string, limit int) ([]Hit, error)

	// AddMessage appends a message to one of the user's conversations and
	// marks the conversation updated. An empty ID gets a new one; an empty
	// Parent, the branch shown's last message (the message is then its
	// last).
	AddMessage(ctx context.Context, user string, m Message) (Message, error)
	// Message returns one of the user's messages.
	Message(ctx context.Context, user, id string) (Message, error)
	// Ask records a question and its answer, still empty and streaming, in
	// one transaction: it opens (or creates) the conversation, reads the
	// messages of the branch before the question and adds both, the answer
	// the leaf the conversation shows. Nothing is removed: an edit or a
	// regenerate (a.Replace) is a branch beside what it replaces. Nothing
	// is written when it fails; an a.Replace that is not an answer of the
	// conversation, or an a.Parent not one of its messages, is ErrNotFound.
	Ask(ctx context.Context, user string, a Ask) (Asked, error)
	// Asks records several asks, each of its User, in one transaction:
	// each as Ask would, or, when it fails alone (its Asked.Err), not at
	// all, the others still. The error is the transaction's: then none
	// was recorded.
	Asks(ctx context.Context, asks []Ask) ([]Asked, error)
	// SaveAnswers writes the progress of answers still streaming, each
	// possibly another user's, in one transaction: each save's Text is
	// appended, and one with no text is only marked alive. Saves of
	// answers no longer streaming change nothing.
	SaveAnswers(ctx context.Context, saves []AnswerSave) error
	// EndAnswer sets an answer's whole text and how it ended (Status,
	// Finish, ErrorCode, ErrorText, Usage of end).
	EndAnswer(ctx context.Context, user, id string, end Message) error
	// InterruptUnfinished ends the answers still streaming that were last
	// written before before as interrupted, keeping their text: those a
	// crashed server left. (A live answer is written at least every few
	// seconds, see SaveAnswers.)
	InterruptUnfinished(ctx context.Context, before time.Time) (int, error)

	// Export calls each with every one of the user's conversations, newest
	// first, with its messages: one at a time, so an export of a large
	// account holds one conversation in memory, and the store is free
	// between two (each is its own read). It stops at each's first error.
	Export(ctx context.Context, user string, each func(Export) error) error
	// Import adds conversations to the user's. A conversation whose id the
	// user already has is skipped, so importing twice adds nothing. It
	// writes in transactions of a few hundred messages, so other writes
	// get through meanwhile; an import that fails part way keeps what it
	// wrote (and the count returned says how many conversations), and a
	// conversation longer than a transaction may then be kept in part.
	Import(ctx context.Context, user string, convs []Export) (imported int, err error)

	Close() error
}
