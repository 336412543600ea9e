package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
)

// dialect is what differs between the databases.
type dialect struct {
	name string
	// migrations are applied in order, each once; their index+1 is the
	// schema version. Never edit one that has shipped: append.
	migrations []string
	// lock, when set, runs first in the migration transaction so that
	// instances starting together migrate one at a time.
	lock string
	// like is the case-insensitive LIKE operator.
	like string
	// rebind turns the ? placeholders of a query into the dialect's.
	rebind func(string) string
	// clean makes a text storable.
	clean func(string) string
	// notify: writes send the events of a Feed (PostgreSQL's NOTIFY).
	notify bool
	// fold is an SQL expression of expr in one case, for every script
	// (Fold).
	fold func(expr string) string
}

// sqlStore is the Store over database/sql. Writes go through w, reads
// through r: for SQLite w is a pool of one connection (one writer, as WAL
// wants) and r a pool of readers; for PostgreSQL both are the same pool.
type sqlStore struct {
	d     dialect
	w, r  *sql.DB
	clock clock
}

func newSQLStore(ctx context.Context, d dialect, w, r *sql.DB) (*sqlStore, error) {
	s := &sqlStore{d: d, w: w, r: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *sqlStore) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

func (s *sqlStore) q(query string) string { return s.d.rebind(query) }

func (s *sqlStore) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if s.d.lock != "" {
		if _, err := tx.ExecContext(ctx, s.d.lock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("store: migrate: %w", err)
	}
	if version > len(s.d.migrations) {
		return fmt.Errorf("store: the %s database is at schema version %d, newer than this build knows (%d): run a newer wasmchat", s.d.name, version, len(s.d.migrations))
	}
	for i := version; i < len(s.d.migrations); i++ {
		if _, err := tx.ExecContext(ctx, s.d.migrations[i]); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE schema_version SET version = ?`), len(s.d.migrations)); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return tx.Commit()
}

func newID() string { return rand.Text() }

func ms(t time.Time) int64 { return t.UnixMilli() }

// now is the time of a write that orders rows: a user, token,
// conversation or message made, an answer ended. Appends and touches of a
// streaming answer, many a second, take the wall clock (time.Now).
func (s *sqlStore) now() time.Time { return s.clock.now() }

// clock gives each ordering write a time to the millisecond, as times are
// stored, and later than the one before, so rows written within one
// millisecond (a chat and its answer, two tokens) still sort in the order
// they were written. It runs ahead of the wall clock only past a thousand
// such writes a second. Several servers on one database each keep their
// own.
type clock struct {
	mu   sync.Mutex
	last int64 // the last time given, in Unix milliseconds
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last+1, time.Now().UnixMilli())
	return fromMS(c.last)
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// HashToken is how a token is kept: the hex SHA-256 of the token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// checkID rejects ids a client could use to store unbounded keys.
// ValidID reports whether id may name a conversation or a message: at most
// MaxIDBytes of UTF-8.
func ValidID(id string) bool { return checkID(id) == nil }

func checkID(id string) error {
	if len(id) > MaxIDBytes || !utf8.ValidString(id) {
		return fmt.Errorf("store: id longer than %d bytes or not UTF-8", MaxIDBytes)
	}
	return nil
}

// checkIDs checks each of ids (checkID), and that they are at most
// protocol.MaxAttachments.
func checkIDs(ids []string) error {
	if len(ids) > protocol.MaxAttachments {
		return fmt.Errorf("store: %d attachments, at most %d", len(ids), protocol.MaxAttachments)
	}
	for _, id := range ids {
		if err := checkID(id); err != nil {
			return err
		}
	}
	return nil
}

// Title returns a conversation title made from its first question: its
// first line, trimmed to 60 characters.
func Title(question string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(question), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 60 {
		line = string([]rune(line)[:59]) + "…"
	}
	if line == "" {
		line = "New chat"
	}
	return line
}

// CleanTitle returns a title as the store keeps it: valid UTF-8 without
// control characters or bidirectional overrides and isolates (which could
// make a title read as another in the sidebar), trimmed, at most
// MaxTitleRunes. Empty means there is no title.
func CleanTitle(t string) string {
	t = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			if unicode.IsSpace(r) {
				return ' '
			}
			return -1
		}
		return r
	}, strings.ToValidUTF8(t, ""))
	t = strings.TrimSpace(t)
	if utf8.RuneCountInString(t) > MaxTitleRunes {
		t = string([]rune(t)[:MaxTitleRunes])
	}
	return t
}

// --- users and tokens ---

func (s *sqlStore) Authenticate(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", ErrUnauthorized
	}
	var user string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT user_id FROM tokens WHERE hash = ?`), HashToken(token)).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("store: authenticate: %w", err)
	}
	return user, nil
}

// userLocked returns the id of the user named name, creating the user.
func (s *sqlStore) user(ctx context.Context, tx *sql.Tx, name string) (string, error) {
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", errors.New("store: a user name is 1 to 100 characters")
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (id, name, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`),
		newID(), name, ms(s.now())); err != nil {
		return "", err
	}
	var id string
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM users WHERE name = ?`), name).Scan(&id)
	return id, err
}

func (s *sqlStore) AddToken(ctx context.Context, name, label string) (Token, string, error) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	secret := hex.EncodeToString(b[:])
	t := Token{ID: newID(), UserName: name, Label: label, Created: fromMS(ms(s.now()))}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if t.User, err = s.user(ctx, tx, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO tokens (id, user_id, hash, label, created) VALUES (?, ?, ?, ?, ?)`),
			t.ID, t.User, HashToken(secret), label, ms(t.Created))
		return err
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("store: add token: %w", err)
	}
	return t, secret, nil
}

func (s *sqlStore) AddTokenHash(ctx context.Context, name, hash string, created time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		user, err := s.user(ctx, tx, name)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO tokens (id, user_id, hash, label, created) VALUES (?, ?, ?, 'imported', ?) ON CONFLICT (hash) DO NOTHING`),
			newID(), user, hash, ms(created))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add token hash: %w", err)
	}
	return nil
}

func (s *sqlStore) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.id, t.user_id, u.name, t.label, t.created FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created, t.id`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created int64
		if err := rows.Scan(&t.ID, &t.User, &t.UserName, &t.Label, &created); err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		t.Created = fromMS(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqlStore) UserName(ctx context.Context, user string) (string, error) {
	var name string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT name FROM users WHERE id = ?`), user).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: user name: %w", err)
	}
	return name, nil
}

// Valid returns which of tokens are valid (not revoked), asking for 500 at
// a time.
func (s *sqlStore) Valid(ctx context.Context, tokens []string) (map[string]bool, error) {
	valid := make(map[string]bool, len(tokens))
	byHash := make(map[string]string, len(tokens))
	for batch := range slices.Chunk(tokens, 500) {
		args := make([]any, len(batch))
		for i, t := range batch {
			h := HashToken(t)
			byHash[h], args[i] = t, h
		}
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT hash FROM tokens WHERE hash IN (?`+strings.Repeat(", ?", len(batch)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: check tokens: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: check tokens: %w", err)
			}
			valid[byHash[h]] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: check tokens: %w", err)
		}
	}
	return valid, nil
}

func (s *sqlStore) RevokeToken(ctx context.Context, id string) error {
	return s.execOne(ctx, "revoke token", `DELETE FROM tokens WHERE id = ?`, id)
}

// --- conversations ---

const convColumns = `id, title, channel, app, model, system, temperature, leaf, created, updated`

func scanConv(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var created, updated int64
	var temp sql.NullFloat64
	err := row.Scan(&c.ID, &c.Title, &c.Channel, &c.App, &c.Model, &c.System, &temp, &c.Leaf, &created, &updated)
	if temp.Valid {
		c.Temperature = &temp.Float64
	}
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return c, err
}

func (s *sqlStore) OpenConversation(ctx context.Context, user string, c Conversation) (Conversation, bool, error) {
	if err := checkID(c.ID); err != nil {
		return Conversation{}, false, err
	}
	if c.ID == "" {
		c.ID = newID()
	}
	now := fromMS(ms(s.now()))
	c.Title, c.Created, c.Updated = CleanTitle(c.Title), now, now
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO conversations (user_id, id, title, channel, app, model, system, temperature, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO NOTHING`),
		user, c.ID, c.Title, c.Channel, c.App, c.Model, s.d.clean(c.System), c.Temperature, ms(now), ms(now))
	if err != nil {
		return Conversation{}, false, fmt.Errorf("store: open conversation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return c, true, nil
	}
	got, err := s.Conversation(ctx, user, c.ID)
	return got, false, err
}

func (s *sqlStore) Conversations(ctx context.Context, user string, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+convColumns+` FROM conversations WHERE user_id = ? ORDER BY updated DESC, id LIMIT ?`), user, limit)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("store: conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *sqlStore) Conversation(ctx context.Context, user, id string) (Conversation, error) {
	c, err := scanConv(s.r.QueryRowContext(ctx, s.q(`SELECT `+convColumns+` FROM conversations WHERE user_id = ? AND id = ?`), user, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	return c, nil
}

func (s *sqlStore) RenameConversation(ctx context.Context, user, id, title string) error {
	title = CleanTitle(title)
	if title == "" {
		return errors.New("store: empty title")
	}
	return s.execOne(ctx, "rename", `UPDATE conversations SET title = ? WHERE user_id = ? AND id = ?`, title, user, id)
}

// MaxSystemChars bounds a conversation's system prompt.
const MaxSystemChars = 16 << 10

// SetInstructions sets conversation id's system prompt and temperature
// (nil: the default).
func (s *sqlStore) SetInstructions(ctx context.Context, user, id, system string, temperature *float64) error {
	if err := CheckInstructions(system, temperature); err != nil {
		return err
	}
	return s.execOne(ctx, "set instructions", `UPDATE conversations SET system = ?, temperature = ? WHERE user_id = ? AND id = ?`, s.d.clean(system), temperature, user, id)
}

// invalidError is a refused value: its text says what is wrong, and it is
// ErrInvalid.
type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// CheckInstructions refuses a system prompt over MaxSystemChars or a
// temperature outside 0..2.
func CheckInstructions(system string, temperature *float64) error {
	if utf8.RuneCountInString(system) > MaxSystemChars {
		return invalidError(fmt.Sprintf("the instructions are over %d characters", MaxSystemChars))
	}
	if t := temperature; t != nil && (*t < 0 || *t > 2 || math.IsNaN(*t)) {
		return invalidError("the temperature is outside 0 to 2")
	}
	return nil
}

// Share keeps snapshot as what conversation id's share link shows, and
// returns the link's secret: the one it had if it was shared already.
func (s *sqlStore) Share(ctx context.Context, user, id string, snapshot []byte) (string, error) {
	var secret string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM conversations WHERE user_id = ? AND id = ?`), user, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO shares (secret, user_id, conversation_id, snapshot, created) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, conversation_id) DO UPDATE SET snapshot = excluded.snapshot`),
			newID(), user, id, string(snapshot), ms(s.now()))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`SELECT secret FROM shares WHERE user_id = ? AND conversation_id = ?`), user, id).Scan(&secret)
	})
	if errors.Is(err, ErrNotFound) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("store: share: %w", err)
	}
	return secret, nil
}

// Unshare ends conversation id's share link.
func (s *sqlStore) Unshare(ctx context.Context, user, id string) error {
	return s.execOne(ctx, "unshare", `DELETE FROM shares WHERE user_id = ? AND conversation_id = ?`, user, id)
}

// Shares returns the user's shared conversations: their ids and secrets.
func (s *sqlStore) Shares(ctx context.Context, user string) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT conversation_id, secret FROM shares WHERE user_id = ?`), user)
	if err != nil {
		return nil, fmt.Errorf("store: shares: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, secret string
		if err := rows.Scan(&id, &secret); err != nil {
			return nil, fmt.Errorf("store: shares: %w", err)
		}
		out[id] = secret
	}
	return out, rows.Err()
}

// Shared returns the snapshot a share link's secret shows, or ErrNotFound.
func (s *sqlStore) Shared(ctx context.Context, secret string) ([]byte, error) {
	var snapshot string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT snapshot FROM shares WHERE secret = ?`), secret).Scan(&snapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: shared: %w", err)
	}
	return []byte(snapshot), nil
}

func (s *sqlStore) DeleteConversation(ctx context.Context, user, id string) error {
	// Messages go with it (ON DELETE CASCADE).
	return s.execOne(ctx, "delete", `DELETE FROM conversations WHERE user_id = ? AND id = ?`, user, id)
}

// --- messages ---

const msgColumns = `id, conversation_id, role, text, status, finish, error_code, error_text, usage_prompt, usage_completion, usage_total, client, model, parent, attachments, created`

func scanMsg(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var created int64
	var up, uc, ut sql.NullInt64
	var attachments string
	err := row.Scan(&m.ID, &m.Conversation, &m.Role, &m.Text, &m.Status, &m.Finish, &m.ErrorCode, &m.ErrorText, &up, &uc, &ut, &m.Client, &m.Model, &m.Parent, &attachments, &created)
	m.Attachments = parseAttachments(attachments)
	if ut.Valid {
		m.Usage = &protocol.Usage{Prompt: int(up.Int64), Completion: int(uc.Int64), Total: int(ut.Int64)}
	}
	m.Created = fromMS(created)
	return m, err
}

func usageArgs(u *protocol.Usage) (any, any, any) {
	if u == nil {
		return nil, nil, nil
	}
	return u.Prompt, u.Completion, u.Total
}

func (s *sqlStore) Message(ctx context.Context, user, id string) (Message, error) {
	m, err := scanMsg(s.r.QueryRowContext(ctx, s.q(`SELECT `+msgColumns+` FROM messages WHERE user_id = ? AND id = ?`), user, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("store: message: %w", err)
	}
	return m, nil
}

func (s *sqlStore) AddMessage(ctx context.Context, user string, m Message) (Message, error) {
	if err := errors.Join(checkID(m.ID), checkID(m.Client)); err != nil {
		return Message{}, err
	}
	if m.ID == "" {
		m.ID = newID()
	}
	if m.Created.IsZero() {
		m.Created = s.now()
	}
	m.Created = fromMS(ms(m.Created))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if m.Parent == "" {
			// It follows the branch shown, and is its last message now.
			var err error
			if m.Parent, err = s.leaf(ctx, tx, user, m.Conversation); err != nil {
				return fmt.Errorf("store: add message: %w", err)
			}
		}
		return s.insertMessage(ctx, tx, user, m, true)
	})
	if err != nil {
		return Message{}, err
	}
	return m, nil
}

// insertMessage adds m to its conversation, which must be the user's; touch
// marks the conversation updated, and m the last message of the branch it
// shows.
func (s *sqlStore) insertMessage(ctx context.Context, tx *sql.Tx, user string, m Message, touch bool) error {
	if touch {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET updated = ?, leaf = ? WHERE user_id = ? AND id = ?`), ms(m.Created), m.ID, user, m.Conversation)
		if err != nil {
			return fmt.Errorf("store: add message: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
	}
	p, c, t := usageArgs(m.Usage)
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO messages (user_id, id, conversation_id, role, text, status, finish, error_code, error_text, usage_prompt, usage_completion, usage_total, client, model, parent, attachments, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		user, m.ID, m.Conversation, m.Role, s.d.clean(m.Text), m.Status, m.Finish, m.ErrorCode, s.d.clean(m.ErrorText), p, c, t, m.Client, m.Model, m.Parent,
		attachmentsJSON(filesOf(m.Attachments)), ms(m.Created), ms(m.Created))
	if err != nil {
		return fmt.Errorf("store: add message: %w", err)
	}
	return nil
}

func (s *sqlStore) Ask(ctx context.Context, user string, a Ask) (Asked, error) {
	a.User = user
	out, err := s.Asks(ctx, []Ask{a})
	if err != nil {
		return Asked{}, err
	}
	return out[0], out[0].Err
}

// Asks records the asks in one transaction: one commit for many asks is
// what lets a burst of questions through SQLite's single writer. An ask
// that fails alone (what it replaces or follows is not there) fails
// before it writes, so the others stay; the others can fail only with the
// whole transaction. An ask is three statements (four with its history),
// the writes prepared once per transaction.
func (s *sqlStore) Asks(ctx context.Context, asks []Ask) ([]Asked, error) {
	out := make([]Asked, len(asks))
	now := fromMS(ms(s.now()))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st := askStmts{s: s, tx: tx}
		defer st.close()
		for i, a := range asks {
			if err := errors.Join(checkID(a.Conversation.ID), checkID(a.Answer), checkID(a.Client), checkID(a.Replace), checkID(a.Parent), checkIDs(a.Attachments)); err != nil {
				out[i].Err = err
				continue
			}
			if a.Client != "" {
				// Sent again (to this instance or another): it joins the
				// answer it started, and adds no second branch.
				found, err := st.existing(ctx, a, &out[i])
				if err != nil {
					return err
				}
				if found {
					continue
				}
			}
			if err := st.ask(ctx, a, now, &out[i]); errors.Is(err, ErrNotFound) {
				out[i] = Asked{Err: err}
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: ask: %w", err)
	}
	return out, nil
}

// askStmts are the statements of asks, prepared at their first use in a
// transaction.
type askStmts struct {
	s               *sqlStore
	tx              *sql.Tx
	conv, qa, regen *sql.Stmt
}

func (st *askStmts) prepare(ctx context.Context, p **sql.Stmt, query string) (*sql.Stmt, error) {
	if *p == nil {
		stmt, err := st.tx.PrepareContext(ctx, st.s.q(query))
		if err != nil {
			return nil, err
		}
		*p = stmt
	}
	return *p, nil
}

func (st *askStmts) close() {
	for _, p := range []*sql.Stmt{st.conv, st.qa, st.regen} {
		if p != nil {
			p.Close()
		}
	}
}

// ask records one ask (see Store.Ask): it finds where in the conversation
// the question goes (parentOf: ErrNotFound, before any write, when what
// the ask names is not there), opens or creates the conversation with the
// new answer as the leaf it shows, reads the history of the branch, and
// adds the question (none for a regenerate) and the answer.
func (st *askStmts) ask(ctx context.Context, a Ask, now time.Time, out *Asked) error {
	s := st.s
	c := a.Conversation
	created := c.ID == ""
	if created && a.Regenerate {
		return ErrNotFound // nothing to ask again
	}
	var at place
	out.Question = a.Question
	if created {
		c.ID = newID()
	} else {
		var err error
		if at, err = s.parentOf(ctx, st.tx, a); err != nil {
			return err
		}
		if a.Regenerate {
			out.QuestionID, out.Question = at.question, at.text
			a.Attachments = attachmentIDs(at.attachments) // the question's, asked again
		}
		// The history, before the conversation's leaf is the new answer:
		// the branch shown ends with the message the question follows.
		if n := a.History; (n > 0 && at.parent != "") || at.shown {
			hist, err := s.path(ctx, st.tx, a.User, c.ID, at.parent, max(n, 1), false)
			if err != nil {
				return err
			}
			if at.shown && len(hist) > 0 {
				at.parent = hist[len(hist)-1].ID
			}
			if n > 0 {
				out.History = hist
			}
		}
	}
	// The files, read before anything is written: one not there refuses
	// the ask.
	var err error
	if out.Files, err = s.files(ctx, st.tx, a.User, c.ID, a.Attachments); err != nil {
		return err
	}
	conv, err := st.prepare(ctx, &st.conv, `INSERT INTO conversations (user_id, id, title, channel, app, model, system, temperature, leaf, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET updated = excluded.updated, model = excluded.model, leaf = excluded.leaf
		RETURNING `+convColumns)
	if err != nil {
		return err
	}
	if out.Conversation, err = scanConv(conv.QueryRowContext(ctx, a.User, c.ID, CleanTitle(c.Title), c.Channel, c.App, a.Model, s.d.clean(c.System), c.Temperature, a.Answer, ms(now), ms(now))); err != nil {
		return err
	}
	// The answer's row goes unless the user's client id has one already:
	// another instance took the same ask since existing looked.
	var rows *sql.Rows
	if a.Regenerate {
		regen, err := st.prepare(ctx, &st.regen, `INSERT INTO messages (user_id, id, conversation_id, role, text, status, client, model, parent, created, updated)
			VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, client) WHERE role = 'assistant' AND client <> '' DO NOTHING RETURNING role`)
		if err != nil {
			return err
		}
		rows, err = regen.QueryContext(ctx, a.User, a.Answer, c.ID, RoleAssistant, StatusStreaming, a.Client, a.AnswerModel, out.QuestionID, ms(now), ms(now))
		if err != nil {
			return err
		}
	} else {
		qa, err := st.prepare(ctx, &st.qa, `INSERT INTO messages (user_id, id, conversation_id, role, text, status, client, model, parent, attachments, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?), (?, ?, ?, ?, '', ?, ?, ?, ?, '', ?, ?)
			ON CONFLICT (user_id, client) WHERE role = 'assistant' AND client <> '' DO NOTHING RETURNING role`)
		if err != nil {
			return err
		}
		out.QuestionID = newID()
		rows, err = qa.QueryContext(ctx,
			a.User, out.QuestionID, c.ID, RoleUser, s.d.clean(a.Question), StatusDone, a.Client, at.parent, attachmentsJSON(out.Files), ms(now), ms(now),
			a.User, a.Answer, c.ID, RoleAssistant, StatusStreaming, a.Client, a.AnswerModel, out.QuestionID, ms(now), ms(now))
		if err != nil {
			return err
		}
	}
	n := 0
	for rows.Next() {
		if r := ""; rows.Scan(&r) == nil && r == RoleAssistant {
			n++
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if n == 1 {
		return s.keepFiles(ctx, st.tx, a.User, c.ID, out.Files)
	}
	// Lost the race: take back the question (and the conversation made
	// for it) and join the answer that won. (The leaf set above names no
	// message: the branch shown falls back to the newest.)
	if !a.Regenerate {
		if _, err := st.tx.ExecContext(ctx, s.q(`DELETE FROM messages WHERE user_id = ? AND id = ?`), a.User, out.QuestionID); err != nil {
			return err
		}
	}
	if created {
		if _, err := st.tx.ExecContext(ctx, s.q(`DELETE FROM conversations WHERE user_id = ? AND id = ?`), a.User, c.ID); err != nil {
			return err
		}
	}
	found, err := st.existing(ctx, a, out)
	if err == nil && !found {
		err = errors.New("store: ask: the answer of the client id vanished")
	}
	return err
}

// existing looks for the answer of a's client id: an ask sent again.
func (st *askStmts) existing(ctx context.Context, a Ask, out *Asked) (bool, error) {
	var id, conv, question string
	err := st.tx.QueryRowContext(ctx, st.s.q(`SELECT id, conversation_id, parent FROM messages WHERE user_id = ? AND client = ? AND role = ? AND client <> ''`),
		a.User, a.Client, RoleAssistant).Scan(&id, &conv, &question)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	*out = Asked{Existing: id, QuestionID: question, Conversation: Conversation{ID: conv}}
	return true, nil
}

func (s *sqlStore) SaveAnswers(ctx context.Context, saves []AnswerSave) error {
	if len(saves) == 0 {
		return nil
	}
	now := ms(time.Now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE messages SET text = text || ?, updated = ? WHERE user_id = ? AND id = ? AND status = 'streaming'`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		var events []Event
		for _, a := range saves {
			if _, err := stmt.ExecContext(ctx, s.d.clean(a.Text), now, a.User, a.ID); err != nil {
				return err
			}
			if a.Text != "" {
				events = append(events, Event{Kind: EventText, User: a.User, Answer: a.ID})
			}
		}
		return s.notify(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: save answers: %w", err)
	}
	return nil
}

func (s *sqlStore) EndAnswer(ctx context.Context, user, id string, end Message) error {
	p, c, t := usageArgs(end.Usage)
	now := ms(s.now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		var conv string
		err := tx.QueryRowContext(ctx, s.q(`UPDATE messages SET text = ?, status = ?, finish = ?, error_code = ?, error_text = ?,
			usage_prompt = ?, usage_completion = ?, usage_total = ?, updated = ? WHERE user_id = ? AND id = ? RETURNING conversation_id`),
			s.d.clean(end.Text), end.Status, end.Finish, end.ErrorCode, s.d.clean(end.ErrorText), p, c, t, now, user, id).Scan(&conv)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: end answer: %w", err)
		}
		if _, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET updated = ? WHERE user_id = ? AND id = ?`), now, user, conv); err != nil {
			return err
		}
		return s.notify(ctx, tx, []Event{{Kind: EventEnd, User: user, Answer: id}})
	})
}

func (s *sqlStore) InterruptUnfinished(ctx context.Context, before time.Time) (int, error) {
	var events []Event
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE messages SET status = ?, finish = ? WHERE status = 'streaming' AND updated < ? RETURNING user_id, id`),
			StatusDone, protocol.FinishInterrupted, ms(before))
		if err != nil {
			return err
		}
		for rows.Next() {
			e := Event{Kind: EventEnd}
			if err := rows.Scan(&e.User, &e.Answer); err != nil {
				rows.Close()
				return err
			}
			events = append(events, e)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		return s.notify(ctx, tx, events)
	})
	if err != nil {
		return 0, fmt.Errorf("store: interrupt unfinished: %w", err)
	}
	return len(events), nil
}

// --- search, export, import ---

// likePattern returns q as a LIKE pattern matching it anywhere.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// SearchChars is how much of each message a search looks through: its
// first 64 Ki characters (about 30 pages of text; an answer is rarely
// longer). A search reads every message of the user, so this bounds its
// cost whatever one message holds.
const SearchChars = 64 << 10

func (s *sqlStore) Search(ctx context.Context, user, q string, limit int) ([]Hit, error) {
	q = strings.TrimSpace(q)
	hits := []Hit{}
	if q == "" {
		return hits, nil
	}
	if limit <= 0 {
		limit = 50
	}
	pat := likePattern(q)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, title, updated FROM conversations
		WHERE user_id = ? AND `+s.d.fold("title")+` `+s.d.like+` `+s.d.fold("?")+` ESCAPE '\' ORDER BY updated DESC LIMIT ?`), user, pat, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	for rows.Next() {
		var h Hit
		var updated int64
		if err := rows.Scan(&h.Conversation, &h.Title, &updated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: search: %w", err)
		}
		h.Updated, h.Snippet = fromMS(updated), h.Title
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	// Each message's first SearchChars only: the cost of a search is
	// bounded by the number of messages, not by their size.
	head := fmt.Sprintf("substr(m.text, 1, %d)", SearchChars)
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT m.conversation_id, c.title, m.id, m.role, `+head+`, c.updated
		FROM messages m JOIN conversations c ON c.user_id = m.user_id AND c.id = m.conversation_id
		WHERE m.user_id = ? AND `+s.d.fold(head)+` `+s.d.like+` `+s.d.fold("?")+` ESCAPE '\' ORDER BY m.n DESC LIMIT ?`), user, pat, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		var text string
		var updated int64
		if err := rows.Scan(&h.Conversation, &h.Title, &h.Message, &h.Role, &text, &updated); err != nil {
			return nil, fmt.Errorf("store: search: %w", err)
		}
		h.Updated, h.Snippet = fromMS(updated), Snippet(text, q, 60)
		hits = append(hits, h)
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, rows.Err()
}

// Snippet returns the part of text around the first case-insensitive
// match of q, with up to around runes on each side.
func Snippet(text, q string, around int) string {
	lt, lq := []rune(Fold(text)), []rune(Fold(q))
	rt := []rune(text)
	at := 0
	if len(lt) == len(rt) { // lower-casing kept the length: positions agree
		for i := 0; i+len(lq) <= len(lt); i++ {
			if string(lt[i:i+len(lq)]) == string(lq) {
				at = i
				break
			}
		}
	}
	from, to := max(0, at-around), min(len(rt), at+len(lq)+around)
	s := strings.Join(strings.Fields(string(rt[from:to])), " ")
	if from > 0 {
		s = "…" + s
	}
	if to < len(rt) {
		s += "…"
	}
	return s
}

func (s *sqlStore) Export(ctx context.Context, user string, each func(Export) error) error {
	convs, err := s.Conversations(ctx, user, 0)
	if err != nil {
		return err
	}
	for _, c := range convs {
		msgs, err := s.Tree(ctx, user, c.ID)
		if err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		files, err := s.convFiles(ctx, user, c.ID)
		if err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		if err := each(Export{Conversation: c, Messages: msgs, Files: files}); err != nil {
			return err
		}
	}
	return nil
}

// importBatch is how many messages an import writes per transaction: the
// writer is free for other users' writes between two (SQLite has one).
const importBatch = 500

func (s *sqlStore) Import(ctx context.Context, user string, convs []Export) (int, error) {
	for _, e := range convs {
		if err := checkID(e.ID); err != nil {
			return 0, err
		}
	}
	n, pending := 0, 0 // conversations imported: committed, and in the batch
	var batch []func(*sql.Tx) error
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.tx(ctx, func(tx *sql.Tx) error {
			for _, f := range batch {
				if err := f(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			n += pending
		}
		batch, size, pending = batch[:0], 0, 0
		return err
	}
	for _, e := range convs {
		c := e.Conversation
		if c.ID == "" {
			c.ID = newID()
		}
		now := s.now()
		if c.Created.IsZero() {
			c.Created = now
		}
		if c.Updated.IsZero() {
			c.Updated = c.Created
		}
		msgs := slices.Clone(e.Messages)
		c.Leaf = relink(msgs, c.Leaf)
		files := relinkFiles(msgs, e.Files)
		// A conversation already there is skipped, so importing twice adds
		// nothing; a new one's messages follow in this batch and, when it
		// is longer than a batch, the next ones.
		added := new(bool)
		batch = append(batch, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO conversations (user_id, id, title, channel, app, model, system, temperature, leaf, created, updated)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO NOTHING`),
				user, c.ID, CleanTitle(c.Title), c.Channel, c.App, c.Model, s.d.clean(c.System), c.Temperature, c.Leaf, ms(c.Created), ms(c.Updated))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			*added = k == 1
			return nil
		})
		size++
		for _, f := range files {
			batch = append(batch, func(tx *sql.Tx) error {
				if !*added {
					return nil
				}
				_, err := tx.ExecContext(ctx, s.q(`INSERT INTO files (user_id, id, conversation_id, name, type, size, data, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
					user, f.ID, c.ID, CleanTitle(f.Name), f.Type, len(f.Data), f.Data, ms(c.Created))
				return err
			})
			size++
		}
		for _, m := range msgs {
			m.Conversation = c.ID
			if m.Created.IsZero() {
				m.Created = c.Created
			}
			if m.Status == StatusStreaming || m.Status == "" {
				m.Status = StatusDone
			}
			m.Client = "" // only for the idempotency of asks, which an import needs not
			batch = append(batch, func(tx *sql.Tx) error {
				if !*added {
					return nil
				}
				return s.insertMessage(ctx, tx, user, m, false)
			})
			if size++; size >= importBatch {
				if err := flush(); err != nil {
					return n, fmt.Errorf("store: import: %w", err)
				}
			}
		}
		batch = append(batch, func(*sql.Tx) error {
			if *added {
				pending++
			}
			return nil
		})
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("store: import: %w", err)
	}
	return n, nil
}

// --- the feed's events ---

// maxNotify bounds a notification's payload (PostgreSQL's limit is 8,000
// bytes): more events go in several.
const maxNotify = 7900

// notify sends events in tx, so they arrive once it commits, with what it
// wrote: a line "kind user answer sent" each (sent: Unix milliseconds). Only a store shared by
// instances (dialect.notify) sends any.
func (s *sqlStore) notify(ctx context.Context, tx *sql.Tx, events []Event) error {
	if !s.d.notify || len(events) == 0 {
		return nil
	}
	var b strings.Builder
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`SELECT pg_notify(?, ?)`), feedChannel, b.String())
		b.Reset()
		return err
	}
	sent := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for _, e := range events {
		line := string(e.Kind) + " " + e.User + " " + e.Answer + " " + sent
		if strings.ContainsAny(e.User+e.Answer, " \n") {
			continue // not an id this server makes
		}
		if b.Len()+len(line)+1 > maxNotify {
			if err := flush(); err != nil {
				return err
			}
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return flush()
}

// parseEvent reads one line of a notification.
func parseEvent(line string) (Event, bool) {
	f := strings.Fields(line)
	if len(f) != 4 || len(f[0]) != 1 {
		return Event{}, false
	}
	sent, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return Event{}, false
	}
	switch k := EventKind(f[0][0]); k {
	case EventText, EventEnd, EventStop:
		return Event{Kind: k, User: f[1], Answer: f[2], Sent: time.UnixMilli(sent)}, true
	}
	return Event{}, false
}

// --- helpers ---

func (s *sqlStore) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// execOne runs a write that must change one row; none is ErrNotFound.
func (s *sqlStore) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
