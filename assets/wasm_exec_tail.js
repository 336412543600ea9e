// wasmchat: a page whose Go program has stopped says so. A trap (a
// WebAssembly.RuntimeError escaping resume) unwinds every goroutine on the
// way out, and a Go fatal error exits the program: either way no Go code of
// the page runs any more, and without this the page would go on ignoring
// every click in silence. The page's program never exits on purpose.
(() => {
	const Go = globalThis.Go;
	const stopped = (why) => {
		console.error("wasmchat: the page stopped:", why);
		if (!globalThis.document || document.getElementById("stopped")) {
			return;
		}
		const box = document.createElement("div");
		box.id = "stopped";
		box.className = "stopped";
		box.setAttribute("role", "alert");
		const text = document.createElement("p");
		text.textContent = "The page stopped because of an internal error. Your conversations are kept: reload to go on.";
		const reload = document.createElement("button");
		reload.type = "button";
		reload.textContent = "Reload";
		reload.addEventListener("click", () => location.reload());
		box.append(text, reload);
		document.body.append(box);
	};
	globalThis.Go = class extends Go {
		constructor() {
			super();
			const exit = this.exit;
			this.exit = (code) => {
				exit(code);
				stopped("exit code " + code);
			};
		}
		run(instance) {
			// For the page benchmark: the wasm is compiled and instantiated;
			// from here to "go-running" is the runtime's and the packages'
			// initialisation.
			performance.mark("wasm-ready");
			return super.run(instance);
		}
		_resume() {
			try {
				super._resume();
			} catch (err) {
				if (err instanceof WebAssembly.RuntimeError && !this.exited) {
					this.exited = true;
					stopped(err);
				}
				throw err;
			}
		}
	};
})();
