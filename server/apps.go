package server

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/wasmchat/wasmchat/protocol"
)

// App is a named preset a question can run in: the seed's "app" channel.
type App struct {
	ID          string   `json:"id" yaml:"id"`
	Title       string   `json:"title" yaml:"title"`
	Description string   `json:"description" yaml:"description"`
	System      string   `json:"system" yaml:"system"`                               // the system prompt
	Model       string   `json:"model,omitempty" yaml:"model,omitempty"`             // "" = the upstream's model
	Temperature *float64 `json:"temperature,omitempty" yaml:"temperature,omitempty"` // nil = the model's default
}

// ErrUnknownApp is returned for an ask naming an app that does not exist.
var ErrUnknownApp = &protocol.Error{Code: protocol.CodeUnknownApp, Message: "That app does not exist (any more): pick another one."}

// BuiltinApps are the apps served when no apps file is configured.
var BuiltinApps = []App{
	{
		ID: "translator", Title: "Translator / 翻译",
		Description: "Translates between Chinese and English, keeping tone and formatting.",
		System: "You are a translator. If the user writes Chinese, translate it into natural English; " +
			"otherwise translate it into natural Simplified Chinese. Keep the meaning, tone and markdown " +
			"formatting. Reply with the translation only.",
		Temperature: ptr(0.2),
	},
	{
		ID: "code-reviewer", Title: "Code reviewer",
		Description: "Reviews code for bugs, unclear parts and risks, most important first.",
		System: "You are a senior engineer reviewing code. List concrete problems, most important first: " +
			"bugs, security issues, unclear names, missing tests. Quote the lines you mean and propose a fix " +
			"for each. Be brief; say so when the code is fine.",
		Temperature: ptr(0.2),
	},
	{
		ID: "polisher", Title: "Writing polisher",
		Description: "Makes a text clearer and more concise without changing what it says.",
		System: "You are an editor. Rewrite the user's text to be clear, concise and correct, in the same " +
			"language and register. Do not add content. Reply with the rewritten text, then at most three " +
			"short notes on what you changed.",
		Temperature: ptr(0.4),
	},
}

func ptr[T any](v T) *T { return &v }

// ParseApps reads apps from a JSON or YAML document: a list of App.
func ParseApps(data []byte) ([]App, error) {
	var apps []App
	if err := yaml.Unmarshal(data, &apps); err != nil { // YAML is a superset of JSON
		return nil, fmt.Errorf("parse apps: %w", err)
	}
	seen := make(map[string]bool)
	for i, a := range apps {
		switch {
		case a.ID == "" || a.Title == "" || a.System == "":
			return nil, fmt.Errorf("parse apps: app %d needs an id, a title and a system prompt", i+1)
		case seen[a.ID]:
			return nil, fmt.Errorf("parse apps: app id %q appears twice", a.ID)
		case a.Temperature != nil && (*a.Temperature < 0 || *a.Temperature > 2):
			return nil, fmt.Errorf("parse apps: app %q: temperature %v is outside 0..2", a.ID, *a.Temperature)
		}
		seen[a.ID] = true
	}
	if len(apps) == 0 {
		return nil, errors.New("parse apps: the file lists no apps")
	}
	return apps, nil
}

// appFor returns the app an ask runs in: the one it names, or on the app
// channel the first app (a seed-form question names none). A chat question
// naming no app runs in none.
func appFor(apps []App, channel int, id string) (*App, error) {
	if id == "" && channel == protocol.ChannelApp && len(apps) > 0 {
		return &apps[0], nil
	}
	if id == "" {
		return nil, nil
	}
	for i := range apps {
		if apps[i].ID == id {
			return &apps[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownApp, id)
}

// appList is what the page is told of the apps.
func appList(apps []App) []protocol.App {
	out := make([]protocol.App, len(apps))
	for i, a := range apps {
		out[i] = protocol.App{ID: a.ID, Title: a.Title, Description: a.Description}
	}
	return out
}
