//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/upstream/demo"
	"github.com/wasmchat/wasmchat/upstream/openai"
	"github.com/wasmchat/wasmchat/upstream/seedws"
)

// defaultModel is used with OpenAI itself when WASMCHAT_MODEL is not set.
const defaultModel = "gpt-4o-mini"

// chooseUpstream picks the upstream and logs the choice once. With
// -upstream auto: a seed backend when one is configured, OpenAI (or a
// compatible server) when a base URL or key is, else Ollama when it answers
// on its usual port within half a second, else the offline demo.
func chooseUpstream(ctx context.Context, f serveFlags, log *slog.Logger) (server.Upstream, error) {
	mode := f.upstream
	if mode == "auto" {
		switch {
		case f.upstreamWS != "":
			mode = "seedws"
		case f.baseURL != "" || f.apiKey != "":
			mode = "openai"
		default:
			if model, ok := probeOllama(ctx, f.ollamaURL); ok {
				if f.model == "" {
					f.model = model
				}
				log.Info("upstream: Ollama (OpenAI-compatible)", "model", f.model)
				return openai.New(openai.Config{BaseURL: f.ollamaURL, APIKey: "ollama", Model: f.model}), nil
			}
			mode = "demo"
		}
	}
	switch mode {
	case "demo":
		log.Info("upstream: demo (offline, canned answers)")
		return demo.New(f.demoRate), nil
	case "openai":
		if f.model == "" {
			f.model = defaultModel
		}
		where := "api.openai.com"
		if u, err := url.Parse(f.baseURL); err == nil && u.Host != "" {
			where = u.Host // never the whole URL: it may carry credentials
		}
		log.Info("upstream: OpenAI-compatible", "host", where, "model", f.model, "api_key_set", f.apiKey != "")
		return openai.New(openai.Config{BaseURL: f.baseURL, APIKey: f.apiKey, Model: f.model}), nil
	case "seedws":
		if f.upstreamWS == "" {
			return nil, fmt.Errorf("-upstream seedws needs WASMCHAT_UPSTREAM_WS (or -upstream-ws)")
		}
		log.Info("upstream: seed-protocol backend") // its URL holds a token: not logged
		return seedws.New(f.upstreamWS), nil
	}
	return nil, fmt.Errorf("-upstream %q: want auto, demo, openai or seedws", mode)
}

// probeOllama asks an Ollama server for its models and returns the first.
func probeOllama(ctx context.Context, baseURL string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+"/models", nil)
	if err != nil {
		return "", false
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer res.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&list) != nil || len(list.Data) == 0 {
		return "", false
	}
	return list.Data[0].ID, true
}
