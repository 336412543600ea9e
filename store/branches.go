package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Branches. The messages of a conversation are a tree: each has a parent,
// the message it follows ("" for a first question). An edit asks its
// question again beside the original (same parent), a regenerate adds an
// answer beside the one it replaces (same question): nothing is removed,
// and each branch is the path from a first question to a leaf. The
// conversation's leaf column is the last message of the branch shown
// (Conversation.Leaf); "" or one not there stands for the newest message.
//
// Parents are always older messages (a smaller n; import keeps it so):
// every walk below goes one way through the rows, whatever a row says.

// querier is what reads run on: the readers' pool, or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// leaf returns the last message of the branch conv shows: its leaf when
// that is there, else its newest message; "" for none.
func (s *sqlStore) leaf(ctx context.Context, q querier, user, conv string) (string, error) {
	var leaf string
	err := q.QueryRowContext(ctx, s.q(`SELECT COALESCE(
		(SELECT m.id FROM conversations c JOIN messages m ON m.user_id = c.user_id AND m.conversation_id = c.id AND m.id = c.leaf
			WHERE c.user_id = ? AND c.id = ?),
		(SELECT id FROM messages WHERE user_id = ? AND conversation_id = ? ORDER BY n DESC LIMIT 1),
		'')`), user, conv, user, conv).Scan(&leaf)
	return leaf, err
}

// path returns the last limit (0: all) messages of the branch ending at
// message id ("": the branch the conversation shows, see leaf), oldest
// first; with siblings, each with its Siblings when it has any.
//
// One walk down the conversation from its newest message: a parent is
// older than its children, so each message of the branch comes after the
// one below it, and the walk ends at the parent of the oldest message
// returned. For a conversation with no branches that is the last limit
// messages and one more, as a plain read of them would be; messages of
// other branches in between are read too, and give the siblings (a
// sibling is newer than its parent, so every one is met on the way). The
// walk reads in pages (limit+1 rows, then twice as many each time), so a
// database that sends a query's rows ahead (PostgreSQL) sends few more
// than are used. The conversation's leaf comes with the rows: one query
// for a conversation without branches.
func (s *sqlStore) path(ctx context.Context, q querier, user, conv, id string, limit int, siblings bool) ([]Message, error) {
	type edge struct{ parent, child string }
	var (
		out    = []Message{}
		edges  []edge // every message met, newest first
		want   = id
		newest string
		leaf   sql.RawBytes // the first row's only: it is the same in every row
		// rooted: the walk met the branch's first question; bottom: it met
		// the conversation's first message.
		rooted, bottom bool
		page           = math.MaxInt32 // all: every row is read
		before         = int64(math.MaxInt64)
	)
	if limit > 0 {
		page = limit + 1
	}
	// next reads a page; it reports whether the walk goes on.
	next := func() (bool, error) {
		rows, err := q.QueryContext(ctx, s.q(`SELECT n, (SELECT leaf FROM conversations WHERE user_id = ? AND id = ?), `+msgColumns+`
			FROM messages WHERE user_id = ? AND conversation_id = ? AND n < ? ORDER BY n DESC LIMIT ?`),
			user, conv, user, conv, before, page)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		read := 0
		row := rowWith{rows: rows, first: []any{&before, &leaf}}
		for rows.Next() {
			read++
			m, err := scanMsg(&row)
			if err != nil {
				return false, err
			}
			if rooted {
				// Past the branch's first question: the page's other first
				// questions, its siblings.
				if m.Parent == "" {
					edges = append(edges, edge{"", m.ID})
				}
				continue
			}
			if newest == "" {
				newest = m.ID
				if want == "" {
					want = cmp.Or(string(leaf), m.ID)
				}
			}
			if m.ID == want && limit > 0 && len(out) == limit {
				return false, nil // the parent of the oldest: every sibling is met
			}
			if siblings {
				edges = append(edges, edge{m.Parent, m.ID})
			}
			if m.ID == want {
				out = append(out, m)
				if want = m.Parent; want == "" && !siblings {
					return false, nil // a first question
				}
				rooted = want == ""
			}
		}
		// A page not full: the first message is met, want is not there
		// (or, rooted, every first question below is).
		bottom = read < page
		return !bottom && !rooted, rows.Err()
	}
	// rootsBelow adds the first questions older than the branch's own (the
	// siblings of a first question, edited): they are below where the walk
	// ends.
	rootsBelow := func() error {
		rows, err := q.QueryContext(ctx, s.q(`SELECT id FROM messages WHERE user_id = ? AND conversation_id = ? AND n < ? AND parent = '' ORDER BY n DESC`),
			user, conv, before)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			edges = append(edges, edge{"", id})
		}
		return rows.Err()
	}
	for {
		more, err := next()
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		page = min(2*page, math.MaxInt32)
	}
	if rooted && !bottom {
		if err := rootsBelow(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 && id == "" && newest != "" && want != newest {
		// The leaf names no message (an ask that lost a race to the same
		// ask elsewhere): the newest message's branch.
		return s.path(ctx, q, user, conv, newest, limit, siblings)
	}
	slices.Reverse(out)
	if len(edges) > len(out) {
		// Some message met is not on the branch: siblings.
		children := make(map[string][]string, len(out))
		for _, m := range out {
			children[m.Parent] = nil
		}
		for i := len(edges) - 1; i >= 0; i-- {
			if c, ok := children[edges[i].parent]; ok {
				children[edges[i].parent] = append(c, edges[i].child)
			}
		}
		for i := range out {
			if c := children[out[i].Parent]; len(c) > 1 {
				out[i].Siblings = c
			}
		}
	}
	return out, nil
}

// rowWith scans a row of first's columns and then msgColumns, those as
// scanMsg would.
type rowWith struct {
	rows  *sql.Rows
	first []any
	all   []any // first and the rest, kept from row to row
}

func (r *rowWith) Scan(dest ...any) error {
	r.all = append(append(r.all[:0], r.first...), dest...)
	return r.rows.Scan(r.all...)
}

func scanMsgs(rows *sql.Rows) ([]Message, error) {
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMsg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns the last limit messages of the branch conv shows.
func (s *sqlStore) Messages(ctx context.Context, user, conv string, limit int) ([]Message, error) {
	out, err := s.path(ctx, s.r, user, conv, "", limit, true)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Tree(ctx context.Context, user, conv string) ([]Message, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+msgColumns+` FROM messages WHERE user_id = ? AND conversation_id = ? ORDER BY n`), user, conv)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	out, err := scanMsgs(rows)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return out, nil
}

func (s *sqlStore) ShowBranch(ctx context.Context, user, conv, id string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT n FROM messages WHERE user_id = ? AND conversation_id = ? AND id = ?`), user, conv, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		leaf, err := s.leaf(ctx, tx, user, conv)
		if err != nil {
			return err
		}
		// The messages from id on, oldest first: a message's descendants
		// and the branch shown's ancestors of the leaf down to it are
		// among them.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, parent FROM messages WHERE user_id = ? AND conversation_id = ? AND n >= ? ORDER BY n`), user, conv, n)
		if err != nil {
			return err
		}
		parent := map[string]string{}
		below := map[string]bool{id: true}
		newest := id
		for rows.Next() {
			var m, p string
			if err := rows.Scan(&m, &p); err != nil {
				rows.Close()
				return err
			}
			parent[m] = p
			if below[p] {
				below[m], newest = true, m
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if below[leaf] {
			return nil // on the branch shown already: it stays as it is
		}
		// Another branch: its newest message is the leaf shown from now on.
		_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET leaf = ? WHERE user_id = ? AND id = ?`), newest, user, conv)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: show branch: %w", err)
	}
	return err
}

// place is where an ask's question goes in its conversation (parentOf).
type place struct {
	// parent is the message the question follows ("" a first question),
	// unless shown: then it follows the last message of the branch shown.
	parent string
	shown  bool
	// question, text and attachments, for a regenerate, are the question
	// asked again.
	question, text string
	attachments    []Attachment
}

// parentOf finds where an ask in an existing conversation goes (see Ask).
// ErrNotFound when what the ask names is not a message of the
// conversation. It only reads: an ask it refuses writes nothing.
func (s *sqlStore) parentOf(ctx context.Context, tx *sql.Tx, a Ask) (place, error) {
	user, conv := a.User, a.Conversation.ID
	switch {
	case a.Replace != "":
		var answerParent string
		err := tx.QueryRowContext(ctx, s.q(`SELECT parent FROM messages WHERE user_id = ? AND conversation_id = ? AND id = ? AND role = ?`),
			user, conv, a.Replace, RoleAssistant).Scan(&answerParent)
		if errors.Is(err, sql.ErrNoRows) {
			return place{}, ErrNotFound
		}
		if err != nil {
			return place{}, err
		}
		var qParent, role, text, attachments string
		err = tx.QueryRowContext(ctx, s.q(`SELECT parent, role, text, attachments FROM messages WHERE user_id = ? AND conversation_id = ? AND id = ?`),
			user, conv, answerParent).Scan(&qParent, &role, &text, &attachments)
		isQuestion := err == nil && role == RoleUser
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return place{}, err
		}
		switch {
		case a.Regenerate && !isQuestion:
			return place{}, ErrNotFound // an answer to no question
		case a.Regenerate:
			return place{parent: qParent, question: answerParent, text: text, attachments: parseAttachments(attachments)}, nil
		case isQuestion:
			return place{parent: qParent}, nil // the edit goes beside the question
		}
		return place{parent: answerParent}, nil
	case a.Parent != "":
		var n int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT n FROM messages WHERE user_id = ? AND conversation_id = ? AND id = ?`),
			user, conv, a.Parent).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return place{}, ErrNotFound
		}
		return place{parent: a.Parent}, err
	}
	return place{shown: true}, nil
}

// relink gives an imported conversation's messages new ids (message ids
// are the user's, like conversation ids: importing another export of the
// same messages must not collide) and points each parent at its new id; it
// returns leaf's new id ("" when leaf is not among them). A file with no
// parents at all (an export from before branches) is one branch in its
// order; a parent that is not an earlier message of the file means the
// message before it, so the tree stays a tree whatever the file says.
func relink(msgs []Message, leaf string) string {
	branched := branched(msgs)
	ids := make(map[string]string, len(msgs))
	prev := ""
	for i := range msgs {
		m := &msgs[i]
		id := newID()
		switch p, ok := ids[m.Parent]; {
		case !branched:
			m.Parent = prev
		case m.Parent == "": // a first question
		case ok:
			m.Parent = p
		default:
			m.Parent = prev
		}
		if _, dup := ids[m.ID]; m.ID != "" && !dup {
			ids[m.ID] = id
		}
		m.ID, m.Siblings = id, nil
		prev = id
	}
	return ids[leaf]
}
