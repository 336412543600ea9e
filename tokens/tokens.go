// Package tokens keeps the bearer tokens that sign users in, in a JSON file
// in the data folder.
//
// Only a SHA-256 hash of each token is stored: the file can be read without
// giving a token away. The file is re-read when it changes, so a token added
// by `wasmchat token add` while the server runs is accepted at once.
//
// A later version moves tokens into the database; the server depends only on
// its small Tokens interface.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileName is the tokens file inside the data folder.
const FileName = "tokens.json"

// ErrUnknown is returned for a token that is not in the file.
var ErrUnknown = errors.New("tokens: unknown token")

// File is the tokens file of a data folder. It is safe for concurrent use.
type File struct {
	path string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	byHash  map[string]string // token hash -> user name
}

type entry struct {
	Name    string    `json:"name"`
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// Open returns the tokens file of data folder dir, creating dir if needed.
func Open(dir string) (*File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tokens: create data folder: %w", err)
	}
	return &File{path: filepath.Join(dir, FileName)}, nil
}

// Authenticate returns the name of the user token belongs to.
func (f *File) Authenticate(_ context.Context, token string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refreshLocked(); err != nil {
		return "", err
	}
	name, ok := f.byHash[hash(token)]
	if !ok || token == "" {
		return "", ErrUnknown
	}
	return name, nil
}

// Count returns how many tokens the file holds.
func (f *File) Count() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refreshLocked(); err != nil {
		return 0, err
	}
	return len(f.byHash), nil
}

// Add creates a new token for user name and returns it. The token itself is
// not stored and cannot be shown again.
func (f *File) Add(name string) (string, error) {
	if name == "" {
		return "", errors.New("tokens: empty user name")
	}
	entries, err := f.read()
	if err != nil {
		return "", err
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	entries = append(entries, entry{Name: name, Hash: hash(token), Created: time.Now().UTC()})
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return "", err
	}
	// Write then rename, so a reader never sees half a file.
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("tokens: write: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return "", fmt.Errorf("tokens: write: %w", err)
	}
	return token, nil
}

func (f *File) read() ([]entry, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: read: %w", err)
	}
	var entries []entry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("tokens: %s is corrupt: %w", f.path, err)
	}
	return entries, nil
}

// refreshLocked re-reads the file when its size or time changed.
func (f *File) refreshLocked() error {
	st, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.byHash, f.modTime, f.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if f.byHash != nil && st.ModTime().Equal(f.modTime) && st.Size() == f.size {
		return nil
	}
	entries, err := f.read()
	if err != nil {
		return err
	}
	f.byHash = make(map[string]string, len(entries))
	for _, e := range entries {
		f.byHash[e.Hash] = e.Name
	}
	f.modTime, f.size = st.ModTime(), st.Size()
	return nil
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
