// Package pgtest runs a throwaway PostgreSQL server for tests: a cluster
// made by initdb in a temporary folder, started by pg_ctl on a free
// loopback port, one per test process, with a fresh database per caller.
//
// PostgreSQL refuses to run as root; as root (CI) the cluster is run as the
// postgres system user, which Debian's package creates.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

var (
	once    sync.Once
	dir     string
	base    string // URL of the cluster without the database
	startEr error
	dbs     atomic.Int32
	asUser  *user.User
)

// URL returns the URL of a new, empty database on the test cluster,
// starting the cluster on first use. Call Stop from TestMain.
func URL(tb testing.TB) string {
	tb.Helper()
	url, err := NewDatabase()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return url
}

// NewDatabase is URL for programs (the load tool): the URL of a new, empty
// database on the cluster, started on first use. Call Stop when done.
func NewDatabase() (string, error) {
	once.Do(func() { startEr = start() })
	if startEr != nil {
		return "", startEr
	}
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbs.Add(1))
	db, err := sql.Open("pgx", base+"postgres?sslmode=disable")
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return base + name + "?sslmode=disable", nil
}

// Stop stops the cluster, if one was started, and removes its files.
func Stop() {
	if dir == "" {
		return
	}
	_ = command(bin("pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(dir)
}

// bin finds a PostgreSQL program: on PATH, or in Debian's versioned folder.
func bin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return name
}

func command(name string, args ...string) *exec.Cmd {
	if asUser != nil {
		return exec.Command("runuser", append([]string{"-u", asUser.Username, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func start() error {
	if _, err := exec.LookPath(bin("initdb")); err != nil {
		return fmt.Errorf("PostgreSQL is not installed (initdb not found): `make deps` installs Debian's postgresql as root")
	}
	var err error
	if dir, err = os.MkdirTemp("", "wasmchat-pg-"); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if asUser, err = user.Lookup("postgres"); err != nil {
			return fmt.Errorf("running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(asUser.Uid)
		gid, _ := strconv.Atoi(asUser.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := command(bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if out, err := command(bin("pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	base = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base+"postgres?sslmode=disable")
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
