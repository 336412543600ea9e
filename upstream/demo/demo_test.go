package demo

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

func TestAnswerShape(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"hello", "What is a WebSocket?", "你好，介绍一下你自己", "line one\nline two", "x"} {
		a := Answer(q)
		if n := utf8.RuneCountInString(a); n < 1000 {
			t.Errorf("%q: answer has %d characters, want at least 1000", q, n)
		}
		for _, want := range []string{"## ", "\n1. ", "\n```", "> " + strings.Split(q, "\n")[0]} {
			if !strings.Contains(a, want) {
				t.Errorf("%q: answer lacks %q", q, want)
			}
		}
		if Answer(q) != a {
			t.Errorf("%q: two different answers", q)
		}
	}
	if Answer("a") == Answer("b") && Answer("b") == Answer("c") {
		t.Error("all questions get the same variant")
	}
}

func TestStreamPaceAndText(t *testing.T) {
	t.Parallel()
	d := New(5000)
	req := upstream.Request{Turns: []upstream.Turn{{Role: "user", Text: "pace"}}}
	var b strings.Builder
	chunks := 0
	start := time.Now()
	res, err := d.Stream(context.Background(), req, func(s string) {
		if !utf8.ValidString(s) {
			t.Errorf("chunk splits a rune: %q", s)
		}
		chunks++
		b.WriteString(s)
	})
	if err != nil || res.Finish != protocol.FinishStop {
		t.Fatalf("Stream = %+v, %v", res, err)
	}
	if b.String() != Answer("pace") {
		t.Error("streamed text differs from Answer")
	}
	if chunks < 5 {
		t.Errorf("%d chunks: the answer should stream, not arrive at once", chunks)
	}
	// At 5,000 characters per second about 1,100 characters take 0.2 s;
	// well under that would mean the pace is ignored.
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("streamed in %v, faster than the pace allows", el)
	}
}

func TestStreamStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := New(100).Stream(ctx, upstream.Request{Turns: []upstream.Turn{{Role: "user", Text: "q"}}}, func(string) {
		if n++; n == 2 {
			cancel()
		}
	})
	if err == nil {
		t.Error("Stream after cancel returned no error")
	}
}
