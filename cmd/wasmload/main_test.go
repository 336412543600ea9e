package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the floor, as the tool does
// (it starts its own executable with "floor").
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := runFloor(os.Args[2:], os.Stdout); err != nil {
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestQuickLoad runs the tool's small scenario against a wasmchat it
// builds and the floor: every answer arrives whole on both, and the
// figures are printed.
func TestQuickLoad(t *testing.T) {
	t.Chdir("../..") // the tool builds ./cmd/wasmchat
	var out strings.Builder
	if err := run([]string{"-quick"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"first chunk p99", "wire bytes / text byte", "RSS per connection", "answers checked byte for byte: 20 + 20",
		"B's frame after A's, same text, p99", "answers checked byte for byte: 20 on A + 20 on B"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

func TestPickScenarios(t *testing.T) {
	got, fans, err := pick("idle-1k,answers-100-150,fanout-500-150", false)
	if err != nil || len(got) != 2 || got[0].idle != 1000 || got[1].answers != 100 || len(fans) != 1 || fans[0].answers != 500 {
		t.Errorf("pick: %+v, %+v, %v", got, fans, err)
	}
	if _, _, err := pick("idle-1m", false); err == nil || !strings.Contains(err.Error(), "idle-10k") {
		t.Errorf("an unknown scenario: %v", err)
	}
}

func TestFrameHeader(t *testing.T) {
	for n, want := range map[int]int{0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10} {
		if got := frameHeader(n); got != want {
			t.Errorf("frameHeader(%d) = %d, want %d", n, got, want)
		}
	}
}
