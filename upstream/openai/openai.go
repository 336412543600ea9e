// Package openai is the upstream for OpenAI and every server that speaks its
// chat completions API (Ollama, vLLM, llama.cpp's llama-server, LM Studio,
// LocalAI), through the official SDK: streaming, retries before the first
// byte and the wire format are the SDK's, never hand-parsed SSE.
//
// Every failure is returned as a *upstream.Error with a stable code and
// a message a person can act on. The SDK's error text includes the raw
// response body, so it is kept only as the wrapped error, never printed.
package openai

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

// Config configures a Client. cmd/wasmchat fills it from OPENAI_BASE_URL,
// OPENAI_API_KEY and WASMCHAT_MODEL or their flags.
type Config struct {
	BaseURL string // "" = https://api.openai.com/v1/
	APIKey  string
	Model   string // the default model; an app may name another
	// MaxRetries is how often the SDK retries before the first byte
	// (429, 5xx, connection errors); nil keeps the SDK's default, 2.
	MaxRetries *int
	HTTPClient *http.Client
}

// Client streams chat completions.
type Client struct {
	sdk   oai.Client
	model string
	base  string
}

var _ upstream.Upstream = (*Client)(nil)

// New returns a Client.
func New(cfg Config) *Client {
	opts := []option.RequestOption{option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.MaxRetries != nil {
		opts = append(opts, option.WithMaxRetries(*cfg.MaxRetries))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Client{sdk: oai.NewClient(opts...), model: cfg.Model, base: cfg.BaseURL}
}

// Stateless reports that each request carries the whole conversation (the
// chat completions API keeps nothing), so conversations may be edited and
// regenerated.
func (c *Client) Stateless() bool { return true }

var _ upstream.Lister = (*Client)(nil)

// maxModels bounds the models listed: a server with thousands (some
// gateways) lists its first maxModels.
const maxModels = 500

// Models lists the server's models (GET /models: OpenAI, Ollama, vLLM,
// llama.cpp and LM Studio all serve it), sorted.
func (c *Client) Models(ctx context.Context) ([]string, error) {
	var ids []string
	pager := c.sdk.Models.ListAutoPaging(ctx)
	for pager.Next() && len(ids) < maxModels {
		ids = append(ids, pager.Current().ID)
	}
	if err := pager.Err(); err != nil {
		return nil, c.classify(err, c.model, false, false)
	}
	slices.Sort(ids)
	return ids, nil
}

// DefaultModel is the model a request that names none goes to.
func (c *Client) DefaultModel() string { return c.model }

// Stream streams the completion of req's conversation.
func (c *Client) Stream(ctx context.Context, req upstream.Request, emit func(string)) (upstream.Result, error) {
	model := c.model
	if req.Model != "" {
		model = req.Model
	}
	params := oai.ChatCompletionNewParams{
		Model:         model,
		Messages:      messages(req.Turns),
		StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
	}
	if req.Temperature != nil {
		params.Temperature = oai.Float(*req.Temperature)
	}
	stream := c.sdk.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var res upstream.Result
	emitted := false
	for stream.Next() {
		chunk := stream.Current()
		for _, choice := range chunk.Choices {
			if choice.Delta.Content != "" {
				emit(choice.Delta.Content)
				emitted = true
			}
			if choice.FinishReason != "" {
				res.Finish = finish(choice.FinishReason)
			}
		}
		if u := chunk.Usage; u.TotalTokens > 0 {
			res.Usage = &protocol.Usage{Prompt: int(u.PromptTokens), Completion: int(u.CompletionTokens), Total: int(u.TotalTokens)}
		}
	}
	if err := stream.Err(); err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		images := slices.ContainsFunc(req.Turns, func(t upstream.Turn) bool { return len(t.Images) > 0 })
		return res, c.classify(err, model, emitted, images)
	}
	if res.Finish == "" && emitted {
		// The stream ended without a finish reason: the server closed it
		// mid-answer, as a crashing local server does.
		return res, &upstream.Error{
			Code:    protocol.CodeBroken,
			Message: "The model's stream ended before the answer was finished. The text so far is kept.",
		}
	}
	return res, nil
}

func messages(turns []upstream.Turn) []oai.ChatCompletionMessageParamUnion {
	out := make([]oai.ChatCompletionMessageParamUnion, 0, len(turns))
	for _, t := range turns {
		switch t.Role {
		case upstream.RoleSystem:
			out = append(out, oai.SystemMessage(t.Text))
		case upstream.RoleAssistant:
			out = append(out, oai.AssistantMessage(t.Text))
		case upstream.RoleUser:
			if len(t.Images) == 0 {
				out = append(out, oai.UserMessage(t.Text))
				continue
			}
			// A question with images: its text, then each image as a
			// data URL (the server has the bytes; no URL to fetch).
			parts := []oai.ChatCompletionContentPartUnionParam{oai.TextContentPart(t.Text)}
			for _, img := range t.Images {
				parts = append(parts, oai.ImageContentPart(oai.ChatCompletionContentPartImageImageURLParam{
					URL: "data:" + img.Type + ";base64," + base64.StdEncoding.EncodeToString(img.Data),
				}))
			}
			out = append(out, oai.UserMessage(parts))
		}
	}
	return out
}

func finish(reason string) string {
	if reason == "length" {
		return protocol.FinishLength
	}
	return protocol.FinishStop
}

// classify turns an SDK error into a failure a person can act on.
func (c *Client) classify(err error, model string, emitted, images bool) *upstream.Error {
	ue := &upstream.Error{Err: err}
	var apiErr *oai.Error
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		c.classifyAPI(ue, apiErr, model, images)
	case emitted:
		ue.Code, ue.Message = protocol.CodeBroken, "The connection to the model broke in the middle of the answer. The text so far is kept."
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		ue.Code, ue.Message = protocol.CodeTimeout, "The model took too long to answer. Try again, or pick a smaller model."
	default:
		ue.Code, ue.Message = protocol.CodeUnreachable, fmt.Sprintf("The model server at %s cannot be reached. Check that it is running and the address is right.", c.where())
	}
	return ue
}

// classifyAPI names what the model service refused; images tells whether
// the request carried any.
func (c *Client) classifyAPI(ue *upstream.Error, e *oai.Error, model string, images bool) {
	text := strings.ToLower(e.Code + " " + e.Message)
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		ue.Code, ue.Message = protocol.CodeInvalidKey, "The model service refused the API key: it is missing, invalid or revoked. Check OPENAI_API_KEY."
	case e.StatusCode == http.StatusTooManyRequests:
		ue.Code = protocol.CodeRateLimited
		ue.RetryAfter = retryAfter(e.Response)
		ue.Message = "The model service is rate limiting these requests. Wait a moment and send again."
		if ue.RetryAfter > 0 {
			ue.Message = fmt.Sprintf("The model service is rate limiting these requests. Try again in %d s.", int(ue.RetryAfter.Round(time.Second).Seconds()))
		}
		if strings.Contains(text, "quota") {
			ue.Message = "The model service says the account is out of quota. Check the account's plan and billing."
		}
	case e.StatusCode == http.StatusNotFound || strings.Contains(text, "model_not_found"):
		ue.Code, ue.Message = protocol.CodeNoModel, fmt.Sprintf("The model %q does not exist on this server, or this key cannot use it. Set WASMCHAT_MODEL to one it has.", model)
	case strings.Contains(text, "context_length") || strings.Contains(text, "context length") || strings.Contains(text, "maximum context") || strings.Contains(text, "too many tokens"):
		ue.Code, ue.Message = protocol.CodeTooLong, "This conversation is longer than the model can read. Start a new chat, or shorten the question."
	case images && e.StatusCode == http.StatusBadRequest && strings.Contains(text, "image"):
		ue.Code, ue.Message = protocol.CodeUnsupported, fmt.Sprintf("The model %q does not take images. Pick a model that can see them, or ask without the image.", model)
	case e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusGatewayTimeout:
		ue.Code, ue.Message = protocol.CodeTimeout, "The model took too long to answer. Try again in a moment."
	default:
		ue.Code, ue.Message = protocol.CodeUpstream, fmt.Sprintf("The model service failed (HTTP %d). Try again in a moment.", e.StatusCode)
	}
}

// maxRetryAfter bounds the wait an upstream may ask for: a larger one
// (or a number too large for a Duration) is taken as this.
const maxRetryAfter = time.Hour

// retryAfter reads Retry-After (seconds or an HTTP date) or OpenAI's
// retry-after-ms, at most maxRetryAfter.
func retryAfter(res *http.Response) time.Duration {
	if res == nil {
		return 0
	}
	within := func(seconds float64) time.Duration {
		return time.Duration(min(seconds, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if ms, err := strconv.ParseFloat(res.Header.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return within(ms / 1000)
	}
	v := res.Header.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return within(s)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

// where names the server for messages, without credentials or query.
func (c *Client) where() string {
	if c.base == "" {
		return "api.openai.com"
	}
	base := c.base
	if i := strings.Index(base, "://"); i >= 0 {
		base = base[i+3:]
	}
	if i := strings.LastIndexByte(base, '@'); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.IndexAny(base, "/?#"); i >= 0 {
		base = base[:i]
	}
	return base
}
