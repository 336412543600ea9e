package app

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Reading an answer aloud uses the browser's speech synthesis: no
// network, the voice of the language the answer is in (the page's, or
// Chinese when the answer is mostly Chinese). One answer is read at a
// time; reading another, or leaving, stops it.

// canSpeak reports whether the browser can read aloud: asked once, not at
// each typewriter tick's render. Without a view (tests of the view alone),
// it cannot.
func (v *view) canSpeak() bool {
	if v == nil {
		return false
	}
	if v.speaks == nil {
		speaks := app.Window().Get("speechSynthesis").Truthy()
		v.speaks = &speaks
	}
	return *v.speaks
}

// speech is an answer being read.
type speech struct {
	end app.Func // the utterance's end and error handler
}

// stop stops the reading, if any.
func (s *speech) stop() {
	if s == nil {
		return
	}
	app.Window().Get("speechSynthesis").Call("cancel")
	s.end.Release()
}

// readAloud reads the answer's text as shown (its rendered text, not its
// markdown), or stops reading it.
func (m *messageView) readAloud(ctx app.Context, e app.Event) {
	if m.speech != nil {
		m.speech.stop()
		m.speech = nil
		return
	}
	synth := app.Window().Get("speechSynthesis")
	synth.Call("cancel") // another answer's
	text := ctx.JSSrc().Call("closest", "article").Call("querySelector", ".content").Get("textContent").String()
	u := app.Window().Get("SpeechSynthesisUtterance").New(text)
	u.Set("lang", speechLang(text, m.Lang))
	s := &speech{}
	s.end = app.FuncOf(func(app.Value, []app.Value) any {
		ctx.Dispatch(func(app.Context) {
			if m.speech == s {
				m.speech = nil
				s.end.Release()
			}
		})
		return nil
	})
	u.Set("onend", s.end)
	u.Set("onerror", s.end)
	m.speech = s
	synth.Call("speak", u)
}

// speechLang is the language to read text in: Chinese when most of its
// letters are Han, else the page's.
func speechLang(text, page string) string {
	han, letters := 0, 0
	for _, r := range text {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF:
			han++
			letters++
		case r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
			letters++
		}
	}
	if letters > 0 && 2*han > letters {
		return langChinese
	}
	if page == "" {
		return langEnglish
	}
	return page
}
