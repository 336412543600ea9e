package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmchat/wasmchat/internal/pgtest"
)

// TestMigrateBranches: a database from before branches (schema 5) gets
// each message's parent from the order it had, so its conversations show
// what they showed, and asks go on from their last message.
func TestMigrateBranches(t *testing.T) {
	ctx := context.Background()
	for _, b := range []struct {
		name, driver string
		dsn          func(tb testing.TB) string
		migrations   []string
		open         func(dsn string) (Store, error)
	}{
		{"sqlite", "sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), SQLiteFile) }, sqliteMigrations,
			func(dsn string) (Store, error) { return OpenSQLite(ctx, filepath.Dir(dsn)) }},
		{"postgres", "pgx", pgtest.URL, postgresMigrations, func(dsn string) (Store, error) { return OpenPostgres(ctx, dsn) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			db, err := sql.Open(b.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			q := rebindDollar
			if b.driver == "sqlite" {
				q = func(s string) string { return s }
			}
			for _, stmt := range append(append([]string{}, b.migrations[:5]...),
				`CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version (version) VALUES (5)`,
				`INSERT INTO users (id, name, created) VALUES ('u', 'alice', 0)`,
				`INSERT INTO conversations (user_id, id, title, created, updated) VALUES ('u', 'c', 'c', 0, 0), ('u', 'd', 'd', 0, 0)`,
			) {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			for i, m := range []struct{ conv, id, role, text string }{
				{"c", "q1", "user", "q1"}, {"d", "dq", "user", "dq"}, {"c", "a1", "assistant", "a1"},
				{"c", "q2", "user", "q2"}, {"d", "da", "assistant", "da"}, {"c", "a2", "assistant", "a2"},
			} {
				if _, err := db.ExecContext(ctx, q(`INSERT INTO messages (user_id, id, conversation_id, role, text, status, created, updated)
					VALUES ('u', ?, ?, ?, ?, 'done', ?, ?)`), m.id, m.conv, m.role, m.text, i, i); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			s, err := b.open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for conv, want := range map[string]string{"c": "q1<- a1<-q1 q2<-a1 a2<-q2", "d": "dq<- da<-dq"} {
				msgs, err := s.Tree(ctx, "u", conv)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range msgs {
					got = append(got, m.Text+"<-"+m.Parent)
				}
				if strings.Join(got, " ") != want {
					t.Errorf("%s: %q, want %q", conv, got, want)
				}
			}
			asked, err := s.Ask(ctx, "u", Ask{Conversation: Conversation{ID: "c"}, Question: "q3", Answer: "a3", History: 10})
			if err != nil || len(asked.History) != 4 || asked.History[3].ID != "a2" {
				t.Fatalf("ask after the migration: %+v, %v", asked, err)
			}
		})
	}
}
