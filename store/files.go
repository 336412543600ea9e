package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// Attachments. A file is uploaded first (AddFile: it belongs to its user
// and to no conversation) and then asked with (Ask.Attachments: it is kept
// with the conversation from then on, and goes when the conversation is
// deleted). A question lists its files (Message.Attachments: name, type
// and size, kept on the message's row so a conversation loads without
// reading them); their bytes are read only to send a question to the
// model and to show a file to its owner.

// What the store keeps of attachments is what the API sends.
type (
	Attachment = protocol.Attachment
	FileData   = protocol.File
)

// UnaskedFileAge is how long an uploaded file is kept for a question
// that has not asked with it yet: a page keeps its composer's files over a
// reload, not for days.
const UnaskedFileAge = 24 * time.Hour

// ErrQuota is AddFile's refusal of a file that would take the user's files
// over their quota.
var ErrQuota = errors.New("store: over the quota for files")

func (s *sqlStore) AddFile(ctx context.Context, user string, f FileData, quota int64) (Attachment, error) {
	a := f.Attachment
	a.ID, a.Size = newID(), len(f.Data)
	a.Name = CleanTitle(a.Name)
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM files WHERE user_id = ? AND conversation_id IS NULL AND created < ?`),
			user, ms(now.Add(-UnaskedFileAge))); err != nil {
			return err
		}
		var used int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(size), 0) FROM files WHERE user_id = ?`), user).Scan(&used); err != nil {
			return err
		}
		if used+int64(a.Size) > quota {
			return ErrQuota
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO files (user_id, id, name, type, size, data, created) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			user, a.ID, a.Name, a.Type, a.Size, f.Data, ms(now))
		return err
	})
	if errors.Is(err, ErrQuota) {
		return Attachment{}, err
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("store: add file: %w", err)
	}
	return a, nil
}

func (s *sqlStore) File(ctx context.Context, user, id string) (FileData, error) {
	var f FileData
	err := s.r.QueryRowContext(ctx, s.q(`SELECT id, name, type, size, data FROM files WHERE user_id = ? AND id = ?`), user, id).
		Scan(&f.ID, &f.Name, &f.Type, &f.Size, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return FileData{}, ErrNotFound
	}
	if err != nil {
		return FileData{}, fmt.Errorf("store: file: %w", err)
	}
	return f, nil
}

// files reads the user's files ids (without their bytes: they are read
// out of the ask's transaction, File), in that order, for an ask in
// conversation conv: each must be the user's, and not asked in
// another conversation (one asked in conv already may be asked again: an
// edit of its question). ErrNotFound otherwise.
func (s *sqlStore) files(ctx context.Context, q querier, user, conv string, ids []string) ([]FileData, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{user}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT id, name, type, size, COALESCE(conversation_id, '') FROM files
		WHERE user_id = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]FileData{}
	for rows.Next() {
		var f FileData
		var in string
		if err := rows.Scan(&f.ID, &f.Name, &f.Type, &f.Size, &in); err != nil {
			return nil, err
		}
		if in == "" || in == conv {
			byID[f.ID] = f
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]FileData, 0, len(ids))
	for _, id := range ids {
		f, ok := byID[id]
		if !ok {
			return nil, ErrNotFound
		}
		out = append(out, f)
	}
	return out, nil
}

// keepFiles keeps the files with conversation conv: they go with it.
func (s *sqlStore) keepFiles(ctx context.Context, tx *sql.Tx, user, conv string, files []FileData) error {
	if len(files) == 0 {
		return nil
	}
	args := []any{conv, user}
	for _, f := range files {
		args = append(args, f.ID)
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE files SET conversation_id = ? WHERE user_id = ? AND id IN (?`+strings.Repeat(", ?", len(files)-1)+`)`), args...)
	return err
}

// convFiles returns the files kept with a conversation, with their bytes
// (an export's).
func (s *sqlStore) convFiles(ctx context.Context, user, conv string) ([]FileData, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, name, type, size, data FROM files WHERE user_id = ? AND conversation_id = ? ORDER BY created, id`), user, conv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FileData
	for rows.Next() {
		var f FileData
		if err := rows.Scan(&f.ID, &f.Name, &f.Type, &f.Size, &f.Data); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// attachmentsJSON is how a question's row lists its files; "" for none.
func attachmentsJSON(files []FileData) string {
	if len(files) == 0 {
		return ""
	}
	list := make([]Attachment, len(files))
	for i, f := range files {
		list[i] = f.Attachment
	}
	b, _ := json.Marshal(list) // strings and ints
	return string(b)
}

// parseAttachments reads a row's list; an unreadable one is none.
func parseAttachments(s string) []Attachment {
	if s == "" {
		return nil
	}
	var list []Attachment
	if json.Unmarshal([]byte(s), &list) != nil {
		return nil
	}
	return list
}

// filesOf is a list as files without their bytes (attachmentsJSON's
// input).
func filesOf(list []Attachment) []FileData {
	files := make([]FileData, len(list))
	for i, a := range list {
		files[i].Attachment = a
	}
	return files
}

// relinkFiles gives an imported conversation's files new ids, as relink
// does its messages, and points the messages' attachments at them; an
// attachment whose file the import does not carry is left out.
func relinkFiles(msgs []Message, files []FileData) []FileData {
	files = slices.Clone(files)
	ids := make(map[string]string, len(files))
	for i := range files {
		id := newID()
		ids[files[i].ID] = id
		files[i].ID, files[i].Size = id, len(files[i].Data)
	}
	for i := range msgs {
		var kept []Attachment
		for _, a := range msgs[i].Attachments {
			if id, ok := ids[a.ID]; ok {
				a.ID = id
				kept = append(kept, a)
			}
		}
		msgs[i].Attachments = kept
	}
	return files
}

// attachmentIDs returns the ids of a list.
func attachmentIDs(list []Attachment) []string {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	return ids
}
