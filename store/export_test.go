package store

import (
	"context"
	"time"
)

// AgeFiles makes the user's files d older: the contract tests' clock for
// UnaskedFileAge.
func AgeFiles(s Store, user string, d time.Duration) error {
	ss, ok := s.(*sqlStore)
	if !ok {
		ss = s.(*pgStore).sqlStore
	}
	_, err := ss.w.ExecContext(context.Background(), ss.q(`UPDATE files SET created = created - ? WHERE user_id = ?`), d.Milliseconds(), user)
	return err
}
