// Package demo is the embedded upstream that answers offline, so wasmchat
// runs on a fresh machine with no API key and no network.
//
// Its answers are deterministic (the same question gets the same answer, so
// tests can compare byte for byte), at least 1,000 characters of markdown
// with a heading, a list, a fenced code block and the question quoted, and
// they stream at a set pace in characters per second, like a real model.
package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

// DefaultRate is the pace of a fast hosted model, in characters per second.
const DefaultRate = 150

// tick is how often Stream emits: 150 cps gives chunks of a few characters,
// as model streams do.
const tick = 20 * time.Millisecond

// Demo streams canned answers at Rate characters per second.
type Demo struct {
	Rate float64
}

var _ upstream.Upstream = (*Demo)(nil)

// New returns a Demo at rate characters per second; rate <= 0 means
// DefaultRate.
func New(rate float64) *Demo {
	if rate <= 0 {
		rate = DefaultRate
	}
	return &Demo{Rate: rate}
}

var _ upstream.Lister = (*Demo)(nil)

// Model is the demo's one model.
const Model = "demo"

// Models lists the demo's one model.
func (d *Demo) Models(context.Context) ([]string, error) { return []string{Model}, nil }

// DefaultModel is the demo's one model.
func (d *Demo) DefaultModel() string { return Model }

// Stateless reports that the demo keeps nothing between questions, so
// conversations may be edited and regenerated.
func (d *Demo) Stateless() bool { return true }

// lastImages names the images of the request's question.
func lastImages(req upstream.Request) []string {
	var names []string
	for i := len(req.Turns) - 1; i >= 0; i-- {
		if t := req.Turns[i]; t.Role == upstream.RoleUser {
			for _, img := range t.Images {
				names = append(names, img.Name)
			}
			break
		}
	}
	return names
}

// Stream emits the answer to the request's last user turn at d.Rate until
// it is done or ctx ends.
func (d *Demo) Stream(ctx context.Context, req upstream.Request, emit func(string)) (upstream.Result, error) {
	text := Answer(req.Question())
	if imgs := lastImages(req); len(imgs) > 0 {
		text += "\nImages attached (the demo does not look at them): " + strings.Join(imgs, ", ") + ".\n"
	}
	start := time.Now()
	t := time.NewTicker(tick)
	defer t.Stop()
	sent, runes := 0, 0 // bytes and runes emitted
	for sent < len(text) {
		select {
		case <-ctx.Done():
			return upstream.Result{}, ctx.Err()
		case now := <-t.C:
			due := int(now.Sub(start).Seconds() * d.Rate)
			end := sent
			for runes < due && end < len(text) {
				_, n := utf8.DecodeRuneInString(text[end:])
				end += n
				runes++
			}
			if end > sent {
				emit(text[sent:end])
				sent = end
			}
		}
	}
	return upstream.Result{Finish: protocol.FinishStop}, nil
}

// Answer returns the demo's answer to question. It depends on nothing but
// the question.
func Answer(question string) string {
	h := fnv.New32a()
	h.Write([]byte(question))
	v := variants[h.Sum32()%uint32(len(variants))]
	zh := hasHan(question)

	var b strings.Builder
	if zh {
		fmt.Fprintf(&b, "## 演示回答：%s\n\n", v.titleZH)
		b.WriteString("你的问题是：\n\n")
	} else {
		fmt.Fprintf(&b, "## Demo answer: %s\n\n", v.title)
		b.WriteString("You asked:\n\n")
	}
	for line := range strings.SplitSeq(strings.TrimSpace(question), "\n") {
		b.WriteString("> " + line + "\n")
	}
	b.WriteString("\n")
	if zh {
		b.WriteString(introZH)
	} else {
		b.WriteString(intro)
	}
	for i, p := range v.points {
		fmt.Fprintf(&b, "%d. %s\n", i+1, p)
	}
	fmt.Fprintf(&b, "\n```%s\n%s```\n\n", v.lang, v.code)
	if zh {
		b.WriteString(outroZH)
	}
	b.WriteString(outro)
	return b.String()
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

const intro = "This answer comes from **demo**, the offline backend built into " +
	"wasmchat. It streams at a steady pace so you can watch the typewriter, " +
	"reconnect and resume at work without an API key or a network. " +
	"Set `OPENAI_API_KEY` (or `OPENAI_BASE_URL` for a local model) to talk " +
	"to a real model instead.\n\nA few things worth knowing:\n\n"

const introZH = "这个回答来自 **demo**，wasmchat 内置的离线后端。它以稳定的速度逐字输出，" +
	"不需要 API 密钥也不需要网络，方便观察打字机效果、断线重连与续传。" +
	"设置 `OPENAI_API_KEY`（本地模型则设置 `OPENAI_BASE_URL`）即可连接真实模型。\n\n" +
	"几点说明：\n\n"

const outro = "The same question always gets this same answer, byte for byte, " +
	"which is what the end-to-end tests compare against. Ask something else " +
	"to see another variant.\n"

const outroZH = "同一个问题总是得到逐字节相同的回答，端到端测试正是以此为准进行比对。" +
	"换一个问题，就能看到另一种回答。断线之后，页面会按字节偏移量请求缺失的部分，" +
	"既不会丢字，也不会重复；刷新页面或服务器重启之后也是如此。" +
	"如果回答被中断，页面会保留已经收到的文字，并标明它没有完成。\n\n"

type variant struct {
	title, titleZH string
	points         []string
	lang, code     string
}

var variants = []variant{
	{
		title:   "streaming without losing a word",
		titleZH: "不丢一个字的流式输出",
		points: []string{
			"Every chunk carries its byte offset in the answer, so a client knows exactly what it holds.",
			"After a dropped connection the page asks for the rest from that offset and appends only what is missing.",
			"Generation runs apart from the connection: closing the tab does not stop the answer, the stop button does.",
		},
		lang: "go",
		code: `// Resume appends exactly the missing part of an answer.
func (m *Message) Resume(f protocol.ServerFrame) {
	if f.End() <= len(m.Text) {
		return // already held: drop the duplicate
	}
	m.Text += f.Content[len(m.Text)-f.Offset:]
}
`,
	},
	{
		title:   "a typewriter that keeps up",
		titleZH: "跟得上的打字机",
		points: []string{
			"Text appears at a natural pace while the model is slow.",
			"When the model is fast, the display never lags more than about 300 ms behind what arrived.",
			"Once the answer ends, the rest shows within a few hundred milliseconds.",
		},
		lang: "python",
		code: `def shown(arrivals, now, pace, max_lag=0.3):
    """Bytes to display: the pace, but never older than max_lag."""
    due = [end for end, at in arrivals if now - at >= max_lag]
    return max([pace] + due)
`,
	},
	{
		title:   "markdown you can trust",
		titleZH: "可以信任的 Markdown",
		points: []string{
			"Model output is untrusted input: raw HTML is never rendered.",
			"Links with `javascript:` and similar schemes are dropped.",
			"Remote images are shown as links, so a reply cannot leak data by loading one.",
		},
		lang: "javascript",
		code: `// The seed page's check, kept for its old clients.
if (data.status == 0) append(data.content);
if (data.status == 2) finish(data.content);
`,
	},
}
