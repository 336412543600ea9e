package markdown

// The control sequences TeXToMathML knows, by name.

// texSymbols are the symbols: letters as <mi>, operators and relations
// as <mo>.
var texSymbols = map[string]string{
	// Greek, lower and upper.
	"alpha": "<mi>α</mi>", "beta": "<mi>β</mi>", "gamma": "<mi>γ</mi>", "delta": "<mi>δ</mi>", "epsilon": "<mi>ϵ</mi>",
	"varepsilon": "<mi>ε</mi>", "zeta": "<mi>ζ</mi>", "eta": "<mi>η</mi>", "theta": "<mi>θ</mi>", "vartheta": "<mi>ϑ</mi>",
	"iota": "<mi>ι</mi>", "kappa": "<mi>κ</mi>", "lambda": "<mi>λ</mi>", "mu": "<mi>μ</mi>", "nu": "<mi>ν</mi>",
	"xi": "<mi>ξ</mi>", "pi": "<mi>π</mi>", "varpi": "<mi>ϖ</mi>", "rho": "<mi>ρ</mi>", "varrho": "<mi>ϱ</mi>",
	"sigma": "<mi>σ</mi>", "varsigma": "<mi>ς</mi>", "tau": "<mi>τ</mi>", "upsilon": "<mi>υ</mi>", "phi": "<mi>ϕ</mi>",
	"varphi": "<mi>φ</mi>", "chi": "<mi>χ</mi>", "psi": "<mi>ψ</mi>", "omega": "<mi>ω</mi>",
	"Gamma": `<mi mathvariant="normal">Γ</mi>`, "Delta": `<mi mathvariant="normal">Δ</mi>`, "Theta": `<mi mathvariant="normal">Θ</mi>`,
	"Lambda": `<mi mathvariant="normal">Λ</mi>`, "Xi": `<mi mathvariant="normal">Ξ</mi>`, "Pi": `<mi mathvariant="normal">Π</mi>`,
	"Sigma": `<mi mathvariant="normal">Σ</mi>`, "Upsilon": `<mi mathvariant="normal">Υ</mi>`, "Phi": `<mi mathvariant="normal">Φ</mi>`,
	"Psi": `<mi mathvariant="normal">Ψ</mi>`, "Omega": `<mi mathvariant="normal">Ω</mi>`,
	// Other letters and constants.
	"infty": "<mi>∞</mi>", "partial": "<mi>∂</mi>", "nabla": "<mi>∇</mi>", "ell": "<mi>ℓ</mi>", "hbar": "<mi>ℏ</mi>",
	"emptyset": "<mi>∅</mi>", "varnothing": "<mi>∅</mi>", "aleph": "<mi>ℵ</mi>", "Re": "<mi>ℜ</mi>", "Im": "<mi>ℑ</mi>",
	// Binary operators.
	"times": "<mo>×</mo>", "cdot": "<mo>⋅</mo>", "div": "<mo>÷</mo>", "pm": "<mo>±</mo>", "mp": "<mo>∓</mo>",
	"ast": "<mo>∗</mo>", "star": "<mo>⋆</mo>", "circ": "<mo>∘</mo>", "bullet": "<mo>∙</mo>", "oplus": "<mo>⊕</mo>",
	"otimes": "<mo>⊗</mo>", "cup": "<mo>∪</mo>", "cap": "<mo>∩</mo>", "setminus": "<mo>∖</mo>", "wedge": "<mo>∧</mo>",
	"land": "<mo>∧</mo>", "vee": "<mo>∨</mo>", "lor": "<mo>∨</mo>", "neg": "<mo>¬</mo>", "lnot": "<mo>¬</mo>",
	// Relations.
	"leq": "<mo>≤</mo>", "le": "<mo>≤</mo>", "geq": "<mo>≥</mo>", "ge": "<mo>≥</mo>", "neq": "<mo>≠</mo>", "ne": "<mo>≠</mo>",
	"approx": "<mo>≈</mo>", "equiv": "<mo>≡</mo>", "sim": "<mo>∼</mo>", "simeq": "<mo>≃</mo>", "cong": "<mo>≅</mo>",
	"propto": "<mo>∝</mo>", "ll": "<mo>≪</mo>", "gg": "<mo>≫</mo>", "in": "<mo>∈</mo>", "notin": "<mo>∉</mo>",
	"ni": "<mo>∋</mo>", "subset": "<mo>⊂</mo>", "supset": "<mo>⊃</mo>", "subseteq": "<mo>⊆</mo>", "supseteq": "<mo>⊇</mo>",
	"mid": "<mo>∣</mo>", "parallel": "<mo>∥</mo>", "perp": "<mo>⊥</mo>", "forall": "<mo>∀</mo>", "exists": "<mo>∃</mo>",
	"nexists": "<mo>∄</mo>",
	// Arrows.
	"to": "<mo>→</mo>", "rightarrow": "<mo>→</mo>", "leftarrow": "<mo>←</mo>", "gets": "<mo>←</mo>",
	"leftrightarrow": "<mo>↔</mo>", "Rightarrow": "<mo>⇒</mo>", "Leftarrow": "<mo>⇐</mo>", "Leftrightarrow": "<mo>⇔</mo>",
	"implies": "<mo>⟹</mo>", "iff": "<mo>⟺</mo>", "mapsto": "<mo>↦</mo>", "uparrow": "<mo>↑</mo>", "downarrow": "<mo>↓</mo>",
	"longrightarrow": "<mo>⟶</mo>", "longleftarrow": "<mo>⟵</mo>",
	// Dots and punctuation.
	"ldots": "<mo>…</mo>", "dots": "<mo>…</mo>", "cdots": "<mo>⋯</mo>", "vdots": "<mo>⋮</mo>", "ddots": "<mo>⋱</mo>",
	"prime": "<mo>′</mo>", "angle": "<mo>∠</mo>", "triangle": "<mo>△</mo>", "degree": "<mo>°</mo>",
	// Escaped characters and delimiters.
	"{": "<mo>{</mo>", "}": "<mo>}</mo>", "%": "<mo>%</mo>", "$": "<mo>$</mo>", "&": "<mo>&amp;</mo>", "#": "<mo>#</mo>",
	"_": "<mo>_</mo>", "|": "<mo>‖</mo>", "langle": "<mo>⟨</mo>", "rangle": "<mo>⟩</mo>", "lfloor": "<mo>⌊</mo>",
	"rfloor": "<mo>⌋</mo>", "lceil": "<mo>⌈</mo>", "rceil": "<mo>⌉</mo>", "backslash": "<mo>\\</mo>",
	// Size commands: the fence that follows sizes itself.
	"big": "", "Big": "", "bigg": "", "Bigg": "", "displaystyle": "", "textstyle": "", "limits": "", "nolimits": "",
}

// texBigOps are the big operators, whose limits go under and over them in
// display math.
var texBigOps = map[string]string{
	"sum": "∑", "prod": "∏", "coprod": "∐", "int": "∫", "iint": "∬", "iiint": "∭", "oint": "∮",
	"bigcup": "⋃", "bigcap": "⋂", "bigoplus": "⨁", "bigotimes": "⨂", "bigvee": "⋁", "bigwedge": "⋀",
}

// texFunctions are the named functions, set upright.
var texFunctions = map[string]bool{
	"sin": true, "cos": true, "tan": true, "cot": true, "sec": true, "csc": true, "arcsin": true, "arccos": true,
	"arctan": true, "sinh": true, "cosh": true, "tanh": true, "log": true, "ln": true, "lg": true, "exp": true,
	"lim": true, "max": true, "min": true, "sup": true, "inf": true, "det": true, "dim": true, "ker": true,
	"deg": true, "gcd": true, "arg": true, "Pr": true, "mod": true, "bmod": true,
}

// texAccents are the accents' marks.
var texAccents = map[string]string{
	"hat": "^", "widehat": "^", "bar": "¯", "overline": "¯", "vec": "→", "overrightarrow": "→",
	"dot": "˙", "ddot": "¨", "tilde": "~", "widetilde": "~",
}

// texSpaces are the spacing commands' widths.
var texSpaces = map[string]string{
	",": "0.167em", ":": "0.222em", ";": "0.278em", " ": "0.333em", "quad": "1em", "qquad": "2em", "!": "0em",
}

// texFences are the environments' fences; one not listed has none
// (matrix, aligned, array).
var texFences = map[string][2]string{
	"pmatrix": {"(", ")"}, "bmatrix": {"[", "]"}, "Bmatrix": {"{", "}"}, "vmatrix": {"|", "|"}, "Vmatrix": {"‖", "‖"},
	"cases": {"{", ""},
}

// doubleStruck are \mathbb's letters.
var doubleStruck = map[rune]string{
	'R': "ℝ", 'N': "ℕ", 'Z': "ℤ", 'Q': "ℚ", 'C': "ℂ", 'P': "ℙ", 'H': "ℍ", 'E': "𝔼", 'F': "𝔽", 'K': "𝕂",
	'1': "𝟙",
}
