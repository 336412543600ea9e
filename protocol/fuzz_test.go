package protocol

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeClient(f *testing.F) {
	for _, s := range []string{
		"hello", `{"type":"ask","id":"1","text":"q"}`, `{"type":"resume","answer":"a","offset":3}`,
		`{"type":"stop","answer":"a"}`, `{"type":"ping"}`, `{"type":1}`, `{"type":"ask"`, "\xff", "{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeClient(data)
		if err != nil {
			return
		}
		if !utf8.ValidString(got.Text) {
			t.Fatalf("accepted invalid UTF-8 text %q", got.Text)
		}
		if got.Offset < 0 || len(got.Text) > MaxQuestionBytes {
			t.Fatalf("accepted out-of-bounds frame %+v", got)
		}
		if got.Type == TypeAsk && got.Text == "" {
			t.Fatalf("accepted empty ask from %q", data)
		}
		// What decodes re-encodes and decodes the same, as a typed frame.
		got.Seed = false
		again, err := DecodeClient(got.Encode())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("re-decode of %+v: %+v, %v", got, again, err)
		}
	})
}

func FuzzDecodeServer(f *testing.F) {
	for _, s := range []string{
		`{"status":0,"content":"x"}`, `{"status":2,"content":"","finish":"stop","offset":4}`,
		`{"status":3,"content":"","type":"hello"}`, `{"status":-1,"content":""}`, `null`, `[]`,
		`{"status":2,"content":"","usage":{"prompt":1,"completion":2,"total":3},"retry_after":4}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeServer(data)
		if err != nil {
			return
		}
		if got.Status < StatusChunk || got.Status > StatusControl || got.Offset < 0 {
			t.Fatalf("accepted out-of-range frame %+v", got)
		}
		again, err := DecodeServer(got.Encode())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("re-decode of %+v: %+v, %v", got, again, err)
		}
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"/ws/t-0", "/ws/1", "/ws/a-b-1", "/ws/-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		e, err := ParseEndpoint(path)
		if err != nil {
			return
		}
		if e.Channel != ChannelChat && e.Channel != ChannelApp {
			t.Fatalf("channel %d from %q", e.Channel, path)
		}
	})
}
