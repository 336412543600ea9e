package protocol

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ClientFrame
		wantErr error
	}{
		{"seed question", "你好，世界", ClientFrame{Type: TypeAsk, Text: "你好，世界", Seed: true}, nil},
		{"question that looks like JSON", `{"a": 1}`, ClientFrame{Type: TypeAsk, Text: `{"a": 1}`, Seed: true}, nil},
		{"question with broken JSON", `{"type": `, ClientFrame{Type: TypeAsk, Text: `{"type": `, Seed: true}, nil},
		{"ask", `{"type":"ask","id":"c1","text":"hi","conversation":"k"}`,
			ClientFrame{Type: TypeAsk, ID: "c1", Text: "hi", Conversation: "k"}, nil},
		{"resume", ` {"type":"resume","answer":"a1","offset":12}`, ClientFrame{Type: TypeResume, Answer: "a1", Offset: 12}, nil},
		{"stop", `{"type":"stop","answer":"a1"}`, ClientFrame{Type: TypeStop, Answer: "a1"}, nil},
		{"ping", `{"type":"ping"}`, ClientFrame{Type: TypePing}, nil},
		{"unknown type", `{"type":"launch"}`, ClientFrame{}, ErrUnknownType},
		{"wrong field type", `{"type":"resume","answer":"a","offset":"x"}`, ClientFrame{}, ErrMalformed},
		{"negative offset", `{"type":"resume","answer":"a","offset":-1}`, ClientFrame{}, ErrMalformed},
		{"resume without answer", `{"type":"resume"}`, ClientFrame{}, ErrMissingField},
		{"stop without answer", `{"type":"stop"}`, ClientFrame{}, ErrMissingField},
		{"empty ask", `{"type":"ask","text":"  "}`, ClientFrame{}, ErrEmpty},
		{"empty question", " \n\t", ClientFrame{}, ErrEmpty},
		{"invalid UTF-8", "\xff\xfe", ClientFrame{}, ErrInvalidUTF8},
		{"too large", strings.Repeat("x", MaxQuestionBytes+1), ClientFrame{}, ErrTooLarge},
		{"largest question", strings.Repeat("x", MaxQuestionBytes),
			ClientFrame{Type: TypeAsk, Text: strings.Repeat("x", MaxQuestionBytes), Seed: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeClient([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ServerFrame
		wantErr error
	}{
		{"seed chunk", `{"status":0,"content":"hel"}`, ServerFrame{Status: 0, Content: "hel"}, nil},
		{"end", `{"status":2,"content":"","answer":"a","offset":3,"finish":"stop"}`,
			ServerFrame{Status: StatusEnd, Answer: "a", Offset: 3, Finish: FinishStop}, nil},
		{"missing content", `{"status":0}`, ServerFrame{}, ErrMissingField},
		{"missing status", `{"content":"x"}`, ServerFrame{}, ErrMissingField},
		{"bad status", `{"status":9,"content":""}`, ServerFrame{}, ErrMalformed},
		{"negative offset", `{"status":0,"content":"","offset":-4}`, ServerFrame{}, ErrMalformed},
		{"not JSON", `hello`, ServerFrame{}, ErrMalformed},
		{"array", `[1]`, ServerFrame{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeServer([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestServerFrameWireKeepsSeedFields(t *testing.T) {
	t.Parallel()
	// The seed page reads data.status and data.content: both must always be
	// on the wire, even when zero.
	got := string(ServerFrame{Status: StatusChunk}.Encode())
	if want := `{"status":0,"content":""}`; got != want {
		t.Errorf("Encode() = %s, want %s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := ServerFrame{Status: StatusChunk, Content: "é", Answer: "a", Conversation: "c", Offset: 7}
	got, err := DecodeServer(s.Encode())
	if err != nil || got != s {
		t.Errorf("server round trip: got %+v, %v; want %+v", got, err, s)
	}
	c := ClientFrame{Type: TypeAsk, ID: "x", Text: "q", Conversation: "c", App: "tr"}
	gotc, err := DecodeClient(c.Encode())
	if err != nil || !reflect.DeepEqual(gotc, c) {
		t.Errorf("client round trip: got %+v, %v; want %+v", gotc, err, c)
	}
}

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want Endpoint
		ok   bool
	}{
		{"/ws/abc-0", Endpoint{Token: "abc", Channel: 0}, true},
		{"/ws/a-b-c-1", Endpoint{Token: "a-b-c", Channel: 1}, true},
		{"/ws/1", Endpoint{Channel: 1}, true},
		{"/ws/0", Endpoint{Channel: 0}, true},
		{"/ws/abc-2", Endpoint{}, false},
		{"/ws/-0", Endpoint{}, false},
		{"/ws/abc-", Endpoint{}, false},
		{"/ws/abc-00", Endpoint{}, false},
		{"/ws/", Endpoint{}, false},
		{"/wx/abc-0", Endpoint{}, false},
		{"/ws/abc-+0", Endpoint{}, false},
	}
	for _, tt := range tests {
		got, err := ParseEndpoint(tt.path)
		if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEndpoint(%q) = %+v, %v; want %+v, ok=%v", tt.path, got, err, tt.want, tt.ok)
		}
	}
	e := Endpoint{Token: "t", Channel: 1}
	if e.Path() != "/ws/1" || e.SeedPath() != "/ws/t-1" {
		t.Errorf("paths = %q, %q", e.Path(), e.SeedPath())
	}
}

func TestTokenFromSubprotocols(t *testing.T) {
	t.Parallel()
	got := TokenFromSubprotocols([]string{Subprotocol, " " + SubprotocolTokenPrefix + "s3cret"})
	if got != "s3cret" {
		t.Errorf("token = %q", got)
	}
	if got := TokenFromSubprotocols([]string{Subprotocol}); got != "" {
		t.Errorf("token = %q, want none", got)
	}
}
