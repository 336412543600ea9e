package store

import (
	"log/slog"
	"time"

	"context"
	"database/sql"
	"fmt"
	"github.com/jackc/pgx/v5"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

var postgresMigrations = []string{
	// 1: users, tokens, conversations, messages.
	`CREATE TABLE users (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		created BIGINT NOT NULL
	);
	CREATE TABLE tokens (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		hash TEXT NOT NULL UNIQUE,
		label TEXT NOT NULL DEFAULT '',
		created BIGINT NOT NULL
	);
	CREATE TABLE conversations (
		user_id TEXT NOT NULL,
		id TEXT NOT NULL,
		title TEXT NOT NULL,
		channel INTEGER NOT NULL DEFAULT 0,
		app TEXT NOT NULL DEFAULT '',
		created BIGINT NOT NULL,
		updated BIGINT NOT NULL,
		PRIMARY KEY (user_id, id)
	);
	CREATE INDEX conversations_recent ON conversations (user_id, updated DESC);
	CREATE TABLE messages (
		n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		user_id TEXT NOT NULL,
		id TEXT NOT NULL,
		conversation_id TEXT NOT NULL,
		role TEXT NOT NULL,
		text TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL,
		finish TEXT NOT NULL DEFAULT '',
		error_code TEXT NOT NULL DEFAULT '',
		error_text TEXT NOT NULL DEFAULT '',
		usage_prompt INTEGER,
		usage_completion INTEGER,
		usage_total INTEGER,
		client TEXT NOT NULL DEFAULT '',
		created BIGINT NOT NULL,
		updated BIGINT NOT NULL,
		UNIQUE (user_id, id),
		FOREIGN KEY (user_id, conversation_id) REFERENCES conversations (user_id, id) ON DELETE CASCADE
	);
	CREATE INDEX messages_conversation ON messages (user_id, conversation_id, n);
	CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';`,
	// 2: one answer per ask (the user's client id), whichever instance
	// takes it: earlier duplicates, if any, lose their client id first.
	`UPDATE messages SET client = '' WHERE role = 'assistant' AND client <> '' AND n NOT IN
		(SELECT min(n) FROM messages WHERE role = 'assistant' AND client <> '' GROUP BY user_id, client);
	CREATE UNIQUE INDEX messages_ask ON messages (user_id, client) WHERE role = 'assistant' AND client <> '';`,
	// 3: the model each answer came from, and the one each conversation
	// asks next (the page's model picker).
	`ALTER TABLE conversations ADD COLUMN model TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN model TEXT NOT NULL DEFAULT '';`,
	// 4: a conversation's own instructions: its system prompt and
	// temperature (NULL: the app's, else the model's default).
	`ALTER TABLE conversations ADD COLUMN system TEXT NOT NULL DEFAULT '';
	ALTER TABLE conversations ADD COLUMN temperature DOUBLE PRECISION;`,
	// 5: share links: a snapshot of a conversation, readable by anyone
	// with its secret.
	`CREATE TABLE shares (
		secret TEXT PRIMARY KEY,
		user_id TEXT NOT NULL,
		conversation_id TEXT NOT NULL,
		snapshot TEXT NOT NULL,
		created BIGINT NOT NULL,
		UNIQUE (user_id, conversation_id),
		FOREIGN KEY (user_id, conversation_id) REFERENCES conversations (user_id, id) ON DELETE CASCADE
	);`,
	// 6: branches: each message's parent, the message it follows (until
	// now: the one before it), and the last message of the branch each
	// conversation shows.
	`ALTER TABLE messages ADD COLUMN parent TEXT NOT NULL DEFAULT '';
	UPDATE messages SET parent = COALESCE((SELECT p.id FROM messages p
		WHERE p.user_id = messages.user_id AND p.conversation_id = messages.conversation_id AND p.n < messages.n
		ORDER BY p.n DESC LIMIT 1), '');
	ALTER TABLE conversations ADD COLUMN leaf TEXT NOT NULL DEFAULT '';`,
	// 7: attachments: files uploaded for questions, each kept with the
	// conversation it was asked in (none until then), and each question's
	// list of them.
	`CREATE TABLE files (
		user_id TEXT NOT NULL,
		id TEXT NOT NULL,
		conversation_id TEXT,
		name TEXT NOT NULL,
		type TEXT NOT NULL,
		size BIGINT NOT NULL,
		data BYTEA NOT NULL,
		created BIGINT NOT NULL,
		PRIMARY KEY (user_id, id),
		FOREIGN KEY (user_id, conversation_id) REFERENCES conversations (user_id, id) ON DELETE CASCADE
	);
	CREATE INDEX files_conversation ON files (user_id, conversation_id);
	ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';`,
}

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:pass@host/db?sslmode=...) and brings its schema up to
// date. Instances starting together migrate one at a time (an advisory
// lock).
func OpenPostgres(ctx context.Context, url string) (Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		// pgx's error names host and user, never the password.
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	d := dialect{
		name:       "postgres",
		migrations: postgresMigrations,
		lock:       `SELECT pg_advisory_xact_lock(7252011)`,
		like:       "ILIKE",
		rebind:     rebindDollar,
		// PostgreSQL text cannot hold NUL; a NUL in a question or an answer
		// is kept as U+FFFD rather than failing the write.
		clean:  func(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") },
		notify: true,
	}
	// lower() follows the database's LC_CTYPE, which may be C (ASCII
	// only); ICU's root collation folds every script, where the server has
	// ICU (Debian's has).
	d.fold = func(expr string) string { return "lower(" + expr + ")" }
	var icu bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&icu); err == nil && icu {
		d.fold = func(expr string) string { return `lower((` + expr + `)::text COLLATE "und-x-icu")` }
	}
	st, err := newSQLStore(ctx, d, db, db)
	if err != nil {
		return nil, err
	}
	return &pgStore{sqlStore: st, url: url}, nil
}

// pgStore is the PostgreSQL store, with its Feed.
type pgStore struct {
	*sqlStore
	url string
}

// feedChannel is the channel of the store's events (store.Feed).
const feedChannel = "wasmchat"

// Listen listens on its own connection (LISTEN holds one), and connects
// again after a failure, a second later and up to 10 s.
func (s *pgStore) Listen(ctx context.Context, f func(Event)) {
	pause := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := s.listen(ctx, f)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			pause = time.Second
		}
		slog.Warn("store: postgres: listening failed; again shortly", "err", err, "in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Second)
	}
}

func (s *pgStore) listen(ctx context.Context, f func(Event)) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+feedChannel); err != nil {
		return err
	}
	f(Event{Kind: EventResync})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		for line := range strings.SplitSeq(n.Payload, "\n") {
			if e, ok := parseEvent(line); ok {
				f(e)
			}
		}
	}
}

func (s *pgStore) NotifyStop(ctx context.Context, user, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return s.notify(ctx, tx, []Event{{Kind: EventStop, User: user, Answer: id}})
	})
}

// rebindDollar numbers the ? placeholders of q as $1, $2...; the queries
// of this package hold no ? in literals.
func rebindDollar(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
