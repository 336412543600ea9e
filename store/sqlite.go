package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// SQLiteFile is the database file inside the data folder.
const SQLiteFile = "wasmchat.db"

var sqliteMigrations = []string{
	// 1: users, tokens, conversations, messages.
	`CREATE TABLE users (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		created INTEGER NOT NULL
	);
	CREATE TABLE tokens (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		hash TEXT NOT NULL UNIQUE,
		label TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL
	);
	CREATE TABLE conversations (
		user_id TEXT NOT NULL,
		id TEXT NOT NULL,
		title TEXT NOT NULL,
		channel INTEGER NOT NULL DEFAULT 0,
		app TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL,
		PRIMARY KEY (user_id, id)
	);
	CREATE INDEX conversations_recent ON conversations (user_id, updated DESC);
	CREATE TABLE messages (
		n INTEGER PRIMARY KEY AUTOINCREMENT,
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
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL,
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
	ALTER TABLE conversations ADD COLUMN temperature REAL;`,
	// 5: share links: a snapshot of a conversation, readable by anyone
	// with its secret.
	`CREATE TABLE shares (
		secret TEXT PRIMARY KEY,
		user_id TEXT NOT NULL,
		conversation_id TEXT NOT NULL,
		snapshot TEXT NOT NULL,
		created INTEGER NOT NULL,
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
		size INTEGER NOT NULL,
		data BLOB NOT NULL,
		created INTEGER NOT NULL,
		PRIMARY KEY (user_id, id),
		FOREIGN KEY (user_id, conversation_id) REFERENCES conversations (user_id, id) ON DELETE CASCADE
	);
	CREATE INDEX files_conversation ON files (user_id, conversation_id);
	ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';`,
}

// wasmchat_fold is Fold in SQL: SQLite's own lower() and LIKE fold ASCII
// only.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("wasmchat_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return Fold(v), nil
		case []byte:
			return Fold(string(v)), nil
		}
		return args[0], nil
	})
}

// OpenSQLite opens (creating it if needed) the database in data folder
// dir and brings its schema up to date. It runs in WAL mode with one
// writing connection, so concurrent writers queue instead of failing with
// SQLITE_BUSY, and a few reading connections that never wait for it.
func OpenSQLite(ctx context.Context, dir string) (Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data folder: %w", err)
	}
	path := filepath.Join(dir, SQLiteFile)
	// The database holds every conversation: only its owner reads it, even
	// in a folder others may list (SQLite gives its -wal and -shm files the
	// database's mode).
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		slog.Warn("store: the data folder is open to other users; its database is not, but consider chmod 700", "folder", dir, "mode", fi.Mode().Perm().String())
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	d := dialect{
		name:       "sqlite",
		migrations: sqliteMigrations,
		like:       "LIKE",
		fold:       func(expr string) string { return "wasmchat_fold(" + expr + ")" },
		rebind:     func(q string) string { return q },
		clean:      func(s string) string { return s },
	}
	s, err := newSQLStore(ctx, d, w, r)
	if err != nil {
		return nil, fmt.Errorf("%w (database %s)", err, path)
	}
	return s, nil
}
