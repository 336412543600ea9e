package server

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

// modelsTTL is how long the upstream's list of models is kept before it
// is asked again.
const modelsTTL = time.Minute

// errNoSuchModel refuses an ask naming a model the server does not offer.
var errNoSuchModel = &protocol.Error{Code: protocol.CodeNoModel, Message: "That model is not offered here: pick another one."}

// models is what the server offers: the upstream's models (an
// upstream.Lister), asked at most once per modelsTTL, narrowed to
// Config.Models when that is set. An upstream that lists none (the seed
// backend) offers only its own, unnamed, unless Config.Models names some.
type models struct {
	lister upstream.Lister // nil: the upstream lists none
	allow  []string        // Config.Models

	mu     sync.Mutex
	list   []string
	at     time.Time // when list was asked; zero: never
	asking bool      // a caller is asking the upstream
}

func newModels(up Upstream, allow []string) *models {
	m := &models{allow: allow}
	m.lister, _ = up.(upstream.Lister)
	return m
}

// get returns the models offered and the default. The upstream is asked
// outside the lock, by one caller at a time: the others meanwhile take
// the list as it was (none before the first answer: check then lets a
// named model through). A failure to list offers the allowlist, if any;
// else nothing, with the failure.
func (m *models) get(ctx context.Context) (protocol.Models, error) {
	out := protocol.Models{Models: []string{}}
	if m.lister == nil {
		out.Models = append(out.Models, m.allow...)
		return out, nil
	}
	out.Default = m.lister.DefaultModel()
	m.mu.Lock()
	list, stale := m.list, !m.asking && (m.at.IsZero() || time.Since(m.at) > modelsTTL)
	if stale {
		m.asking = true
	}
	m.mu.Unlock()
	if stale {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		fresh, err := m.lister.Models(ctx)
		cancel()
		m.mu.Lock()
		m.asking = false
		if err == nil {
			m.list, m.at, list = fresh, time.Now(), fresh
		}
		m.mu.Unlock()
		if err != nil {
			out.Models = append(out.Models, m.allow...)
			return out, err
		}
	}
	for _, id := range list {
		if len(m.allow) == 0 || slices.Contains(m.allow, id) {
			out.Models = append(out.Models, id)
		}
	}
	return out, nil
}

// check refuses an ask naming a model not offered. Naming none is always
// fine. When the upstream cannot list its models now, a model the
// allowlist names (or, with none, any) is let through: the upstream's own
// refusal then says what is wrong.
func (m *models) check(ctx context.Context, model string) error {
	if model == "" {
		return nil
	}
	if len(m.allow) > 0 && !slices.Contains(m.allow, model) {
		return errNoSuchModel
	}
	if m.lister == nil {
		if len(m.allow) == 0 {
			return errNoSuchModel
		}
		return nil
	}
	offered, err := m.get(ctx)
	if err != nil || len(offered.Models) == 0 || slices.Contains(offered.Models, model) {
		return nil
	}
	return errNoSuchModel
}

// named returns the model an answer to an ask naming model comes from:
// model, or the upstream's default.
func (m *models) named(model string) string {
	if model == "" && m.lister != nil {
		return m.lister.DefaultModel()
	}
	return model
}

// apiModels lists the models questions may name.
func (s *Server) apiModels(w http.ResponseWriter, r *http.Request, _ string) error {
	list, err := s.hub.models.get(r.Context())
	if err != nil {
		s.log.Warn("upstream: models", "err", err)
	}
	w.Header().Set("Cache-Control", "private, max-age=60")
	writeJSON(w, http.StatusOK, list)
	return nil
}
