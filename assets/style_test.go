package assets

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// palettes reads the style sheet's theme blocks: light (:root), dark as
// chosen in the page, and dark by the system.
func palettes(t *testing.T) map[string]map[string]string {
	b, err := fs.ReadFile(Web(), "style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	out := map[string]map[string]string{}
	for name, opener := range map[string]string{
		"light":       ":root {",
		"dark":        `:root[data-theme="dark"] {`,
		"dark system": `:root:not([data-theme="light"]) {`,
	} {
		i := strings.Index(css, opener)
		if i < 0 {
			t.Fatalf("style.css has no %s block (%s)", name, opener)
		}
		block := css[i+len(opener):]
		block = block[:strings.Index(block, "}")]
		vars := map[string]string{}
		for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(block, -1) {
			vars[m[1]] = m[2]
		}
		out[name] = vars
	}
	// Dark inherits what it does not set from :root.
	for _, dark := range []string{"dark", "dark system"} {
		for k, v := range out["light"] {
			if _, ok := out[dark][k]; !ok {
				out[dark][k] = v
			}
		}
	}
	return out
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestContrast: every text colour of every theme meets WCAG AA (4.5:1) on
// the backgrounds it is used on, and the two dark blocks agree.
func TestContrast(t *testing.T) {
	p := palettes(t)
	for k, v := range p["dark"] {
		if p["dark system"][k] != v {
			t.Errorf("--%s is %s when dark is chosen but %s when the system is dark", k, v, p["dark system"][k])
		}
	}
	pairs := [][2]string{
		{"fg", "bg"}, {"fg", "user-bg"}, {"muted", "bg"}, {"muted", "user-bg"},
		{"error", "bg"}, {"warn", "bg"}, {"accent", "bg"}, {"accent-fg", "accent"},
	}
	for _, hl := range []string{"hl-c", "hl-s", "hl-n", "hl-k", "hl-t", "hl-f"} {
		pairs = append(pairs, [2]string{hl, "user-bg"})
	}
	for theme, vars := range p {
		for _, pair := range pairs {
			fg, bg := vars[pair[0]], vars[pair[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s: --%s or --%s is not set", theme, pair[0], pair[1])
				continue
			}
			if c := contrast(fg, bg); c < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s is %.2f:1, under 4.5:1", theme, pair[0], fg, pair[1], bg, c)
			}
		}
	}
}
