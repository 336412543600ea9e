package app

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// slot is ui when shown, and otherwise an empty text node in its place.
//
// go-app diffs an element's children by index, and app.If leaves nothing
// behind when false: a part that appears or goes shifts every sibling after
// it by one, and each shifted sibling of another kind is torn down and
// built again. A draft in the question box, a token half typed in the
// settings, the whole message list: all lost or rebuilt because a button
// came or went before them. A slot keeps its index either way, so only the
// slot itself changes. Use it for a conditional part followed by siblings
// that hold what the user typed, the focus, or a large subtree; app.If is
// fine last, or before a few cheap notes and buttons (a message's footer).
func slot(shown bool, ui app.UI) app.UI {
	if !shown {
		return app.Text("")
	}
	return ui
}
