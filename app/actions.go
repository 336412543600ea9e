package app

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// The page's components tell Chat what the reader did with go-app actions
// (never func fields: go-app compares exported fields to decide what to
// draw again, and funcs never compare equal). Each action carries a named
// payload type, or none; Chat's handlers check the type (handle), so a
// wrong payload is logged and dropped instead of panicking the UI
// goroutine.
//
// A handler that captures a value of its render (a conversation's id, a
// version to switch to) names that value as its scope: OnClick(h, id).
// go-app keeps the handler it mounted first while a new one has the same
// code and scope (eventHandler.Equal compares the function's code
// pointer), so without the scope a row reused for another conversation
// would still open the first one.
const (
	actionSend         = "wasmchat/send"         // ask: a question text
	actionRetry        = "wasmchat/retry"        // reconnect now
	actionContinue     = "wasmchat/continue"     // continue an interrupted answer
	actionStop         = "wasmchat/stop"         // stop the answers streaming
	actionApp          = "wasmchat/app"          // picked: the app id ("" for plain chat)
	actionModel        = "wasmchat/model"        // picked: the model the conversation asks next
	actionTheme        = "wasmchat/theme"        // picked: "system", "light" or "dark"
	actionLanguage     = "wasmchat/language"     // picked: "en" or "zh-CN"
	actionEdit         = "wasmchat/edit"         // edit
	actionRegen        = "wasmchat/regen"        // regenerate
	actionBranch       = "wasmchat/branch"       // branch: show another version of a message
	actionOpen         = "wasmchat/open"         // open
	actionNew          = "wasmchat/new"          // start a new chat
	actionRename       = "wasmchat/rename"       // rename
	actionDelete       = "wasmchat/delete"       // remove
	actionSearch       = "wasmchat/search"       // search ("" ends the search)
	actionDrawer       = "wasmchat/drawer"       // drawer: the drawer open (phones)
	actionInstall      = "wasmchat/install"      // open the browser's install prompt
	actionSettings     = "wasmchat/settings"     // saveSettings
	actionInstructions = "wasmchat/instructions" // instructions: the chat's system prompt and temperature
	actionShare        = "wasmchat/share"        // share: make or update a conversation's share link
	actionUnshare      = "wasmchat/unshare"      // unshare: end it
	actionSwitch       = "wasmchat/switch"       // sign in with the login link's token
	actionStay         = "wasmchat/stay"         // keep the token in use
	actionAttach       = "wasmchat/attach"       // attachFiles: files pasted, dropped or chosen
	actionUnattach     = "wasmchat/unattach"     // unattach: drop one before asking
)

// Payloads of the actions.
type (
	ask    struct{ Text string }
	picked struct{ Value string }
	// edit asks Text in place of the question Answer answers.
	edit       struct{ Answer, Text string }
	regenerate struct{ Answer string }
	// branch shows the branch through message ID, a sibling of one shown.
	branch struct{ ID string }
	// open opens conversation ID, showing Message when set (a search hit).
	open   struct{ ID, Message string }
	rename struct{ ID, Title string }
	remove struct{ ID string }
	search struct{ Query string }
	// instructions are the chat's own, as typed: Temperature is text, ""
	// for the default.
	instructions struct{ System, Temperature string }
	share        struct{ ID string }
	unshare      struct{ ID string }
	// saveSettings is what the settings hold when saved: "" leaves a
	// setting as it is.
	saveSettings struct{ Server, Token string }
)

// handle registers f for action name, whose payload is a T.
func handle[T any](ctx app.Context, name string, f func(app.Context, T)) {
	ctx.Handle(name, func(ctx app.Context, a app.Action) {
		v, ok := a.Value.(T)
		if !ok {
			app.Logf("wasmchat: action %s with a %T payload, want %T: dropped", name, a.Value, v)
			return
		}
		f(ctx, v)
	})
}

// handleBare registers f for action name, which carries no payload.
func handleBare(ctx app.Context, name string, f func(app.Context)) {
	ctx.Handle(name, func(ctx app.Context, _ app.Action) { f(ctx) })
}
