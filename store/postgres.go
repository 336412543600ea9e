package store

import (
	"context"
	"database/sql"
	"fmt"
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
		clean: func(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") },
	}
	return newSQLStore(ctx, d, db, db)
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
