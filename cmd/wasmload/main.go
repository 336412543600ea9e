// Command wasmload measures what one wasmchat instance holds on this
// machine: idle WebSocket connections, and answers streaming at once, each
// scenario run against `wasmchat serve` (SQLite, the demo model) and, in
// the same run, against the floor: a bare coder/websocket server that
// streams the same answers at the same pace with no hub or store (the
// tool's own `wasmload floor`). Both run as processes of their own, so
// their CPU time and memory are read from /proc.
//
//	wasmload [-bin wasmchat] [-scenarios idle-1k,answers-1000-150,…] [-quick]
//
// It prints, per scenario, wasmchat's and the floor's figures side by
// side: ack and first chunk p50/p99 (from sending the ask), the p99 gap
// between two frames of text of one answer, the server's CPU seconds, its
// RSS and KB per connection (RSS growth over the connections), and the
// wire bytes (WebSocket frames, headers included) per byte of answer text.
// Every answer is checked byte for byte against the demo's; a wrong one
// fails the run. Connections go out from several loopback addresses
// (127.0.0.2…) so ephemeral ports do not run out, and the open files limit
// is raised to its hard limit (a scenario that needs more is skipped, and
// says so). The fan-out scenario runs two instances on one PostgreSQL (a
// throwaway cluster it starts): answers asked on A, each followed from B,
// and prints how long after A's client B's had the same text, and each
// instance's CPU. `make bench-load` runs every scenario (a few minutes).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wasmchat/wasmchat/internal/pgtest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := runFloor(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "wasmload floor:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wasmload:", err)
		os.Exit(1)
	}
}

// scenario is one load: idle connections, and answers asked at once on
// as many more connections, at rate characters a second.
type scenario struct {
	name    string
	idle    int
	answers int
	rate    float64
}

var scenarios = []scenario{
	{"idle-1k", 1000, 0, 150},
	{"idle-5k", 5000, 0, 150},
	{"idle-10k", 10000, 0, 150},
	{"answers-100-150", 0, 100, 150},
	{"answers-500-150", 0, 500, 150},
	{"answers-1000-150", 0, 1000, 150},
	{"answers-100-1000", 0, 100, 1000},
	{"answers-500-1000", 0, 500, 1000},
	{"answers-1000-1000", 0, 1000, 1000},
	{"idle-9k+answers-1000-150", 9000, 1000, 150},
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("wasmload", flag.ContinueOnError)
	bin := fs.String("bin", "", "the wasmchat binary (default: build ./cmd/wasmchat)")
	names := fs.String("scenarios", "", "comma-separated scenarios (default: all): "+scenarioNames())
	quick := fs.Bool("quick", false, "a small run: 50 idle connections and 20 answers at 1,000 characters a second")
	if err := fs.Parse(args); err != nil {
		return err
	}
	list, fans, err := pick(*names, *quick)
	if err != nil {
		return err
	}
	defer pgtest.Stop()
	files := raiseFileLimit()
	dir, err := os.MkdirTemp("", "wasmload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "wasmchat")
		out, err := exec.Command("go", "build", "-o", *bin, "./cmd/wasmchat").CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build ./cmd/wasmchat (run from the repository): %v\n%s", err, out)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	failed := false
	for _, sc := range list {
		conns := sc.idle + sc.answers
		if need := uint64(conns) + 200; need > files {
			fmt.Fprintf(stdout, "%s: skipped: it needs %d open files and the limit is %d (raise it: ulimit -n %d)\n\n", sc.name, need, files, need)
			continue
		}
		var res [2]result
		for i, target := range []string{"wasmchat", "floor"} {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			var srv *process
			if target == "wasmchat" {
				srv, err = startWasmchat(ctx, *bin, filepath.Join(dir, sc.name), sc)
			} else {
				srv, err = startProcess(ctx, self, nil, "floor", "-cps", fmt.Sprint(sc.rate))
			}
			if err == nil {
				res[i], err = load(ctx, srv, sc)
				srv.stop()
			}
			cancel()
			if err != nil {
				return fmt.Errorf("%s on %s: %w", sc.name, target, err)
			}
			if res[i].wrong > 0 {
				failed = true
			}
		}
		report(stdout, sc, res)
	}
	for _, f := range fans {
		if err := runFanout(stdout, *bin, dir, f); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if failed {
		return errors.New("answers arrived wrong or incomplete: see above")
	}
	return nil
}

func scenarioNames() string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	for _, f := range fanouts {
		n = append(n, f.name)
	}
	return strings.Join(n, ",")
}

// pick returns the scenarios named (all by default).
func pick(names string, quick bool) ([]scenario, []fanout, error) {
	if quick {
		return []scenario{{"quick", 50, 20, 1000}}, []fanout{{"quick-fanout", 20, 1000}}, nil
	}
	if names == "" {
		return scenarios, fanouts, nil
	}
	var out []scenario
	var fans []fanout
next:
	for _, n := range strings.Split(names, ",") {
		for _, s := range scenarios {
			if s.name == n {
				out = append(out, s)
				continue next
			}
		}
		for _, f := range fanouts {
			if f.name == n {
				fans = append(fans, f)
				continue next
			}
		}
		return nil, nil, fmt.Errorf("no scenario %q (there are %s)", n, scenarioNames())
	}
	return out, fans, nil
}

// raiseFileLimit raises the open files limit to its hard limit (the
// servers, started after, inherit it) and returns it.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 1024
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
		}
	}
	return l.Cur
}

// report prints one scenario's figures, wasmchat's beside the floor's.
func report(w io.Writer, sc scenario, r [2]result) {
	fmt.Fprintf(w, "%s: %d idle connections, %d answers at %.0f characters/s\n", sc.name, sc.idle, sc.answers, sc.rate)
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(t, "\twasmchat\tfloor\tratio\t")
	row := func(name, unit string, a, b float64) {
		ratio := "-"
		if b > 0 {
			ratio = fmt.Sprintf("%.2f", a/b)
		}
		format := "%s\t%.1f %s\t%.1f %s\t%s\t\n"
		if unit == "" {
			format = "%s\t%.2f%s\t%.2f%s\t%s\t\n"
		}
		fmt.Fprintf(t, format, name, a, unit, b, unit, ratio)
	}
	if sc.answers > 0 {
		row("ack p50", "ms", r[0].ack.p(50), r[1].ack.p(50))
		row("ack p99", "ms", r[0].ack.p(99), r[1].ack.p(99))
		row("first chunk p50", "ms", r[0].first.p(50), r[1].first.p(50))
		row("first chunk p99", "ms", r[0].first.p(99), r[1].first.p(99))
		row("chunk gap p99", "ms", r[0].gap.p(99), r[1].gap.p(99))
		row("wire bytes / text byte", "", r[0].wirePerByte(), r[1].wirePerByte())
	}
	row("server CPU", "s", r[0].cpu, r[1].cpu)
	row("server RSS", "MB", r[0].rss/1e6, r[1].rss/1e6)
	if conns := sc.idle + sc.answers; conns > 0 {
		row("RSS per connection", "KB", r[0].perConn/1e3, r[1].perConn/1e3)
	}
	t.Flush()
	for i, name := range []string{"wasmchat", "floor"} {
		if r[i].wrong > 0 {
			fmt.Fprintf(w, "%s: %d of %d answers WRONG or incomplete\n", name, r[i].wrong, sc.answers)
		}
	}
	fmt.Fprintf(w, "answers checked byte for byte: %d + %d\n\n", r[0].checked, r[1].checked)
}
