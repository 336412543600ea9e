package server

import (
	"strings"
	"testing"
)

func TestBuildTurns(t *testing.T) {
	t.Parallel()
	h := []Turn{
		{Role: RoleUser, Text: "q1 aaaa"},   // 7
		{Role: RoleAssistant, Text: "a1 b"}, // 4
		{Role: RoleUser, Text: "q2 中文"},     // 5
		{Role: RoleAssistant, Text: "a2"},   // 2
	}
	roles := func(ts []Turn) string {
		var b strings.Builder
		for _, t := range ts {
			b.WriteString(t.Text + "|")
		}
		return b.String()
	}
	tests := []struct {
		name, system, question string
		budget                 int
		want                   string
	}{
		{"all fit", "sys", "q3", 100, "sys|q1 aaaa|a1 b|q2 中文|a2|q3|"},
		{"oldest dropped first", "sys", "q3", 3 + 2 + 2 + 5 + 4, "sys|a1 b|q2 中文|a2|q3|"},
		{"never half a turn", "sys", "q3", 3 + 2 + 2 + 5 + 3, "sys|q2 中文|a2|q3|"},
		{"system and question always kept", "a long system prompt", "q3", 1, "a long system prompt|q3|"},
		{"no system", "", "q3", 4, "a2|q3|"},
		{"runes, not bytes", "", "q3", 2 + 2 + 5, "q2 中文|a2|q3|"},
	}
	for _, tt := range tests {
		if got := roles(buildTurns(tt.system, h, tt.question, tt.budget)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := buildTurns("s", h, "q", 100); got[0].Role != RoleSystem || got[len(got)-1].Role != RoleUser {
		t.Errorf("roles: %+v", got)
	}
}

func TestParseApps(t *testing.T) {
	t.Parallel()
	yamlDoc := `
- id: poet
  title: Poet
  description: Writes short poems.
  system: You write short poems.
  model: llama3.2
  temperature: 1.1
`
	jsonDoc := `[{"id":"sum","title":"Summarizer","system":"Summarize."}]`
	for _, doc := range []string{yamlDoc, jsonDoc} {
		apps, err := ParseApps([]byte(doc))
		if err != nil || len(apps) != 1 {
			t.Fatalf("ParseApps: %v, %v", apps, err)
		}
	}
	apps, _ := ParseApps([]byte(yamlDoc))
	if a := apps[0]; a.Model != "llama3.2" || a.Temperature == nil || *a.Temperature != 1.1 {
		t.Errorf("parsed %+v", a)
	}
	for _, bad := range []string{
		`[]`, `[{"id":"x","title":"X"}]`, `[{"id":"x","title":"X","system":"s"},{"id":"x","title":"Y","system":"s"}]`,
		`[{"id":"x","title":"X","system":"s","temperature":7}]`, `{not: [yaml`,
	} {
		if _, err := ParseApps([]byte(bad)); err == nil {
			t.Errorf("ParseApps(%s) succeeded", bad)
		}
	}
}
