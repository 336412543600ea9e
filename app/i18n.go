package app

import "strings"

// texts is every string the page shows, in one language. The page speaks
// English and Simplified Chinese (the seed's users write Chinese): picked
// from the browser's languages, switchable in the top bar, kept in browser
// storage. Text from elsewhere (the model's answers, the server's error
// messages) is shown as it comes.
type texts struct {
	Conversations, NewChat, NewChatTitle, Search, NothingFound        string
	Rename, RenameTitle, NewTitle, Delete, DeleteTitle, Cancel        string
	DeleteConfirm                                                     string // %s: the title
	AskAnything, AnswersStream, Placeholder, ComposerHint, Label      string
	Send, Stop, StopTitle, JumpToLatest                               string
	ShowEarlier, ShowEarlierN                                         string // %d: how many
	Loading, LoadFailed, RenameFailed, DeleteFailed                   string // %s: the error
	NotConnected, ContinuePrompt                                      string
	Copy, Copied, CopyAnswerTitle, CopyCode                           string
	Stopped, CutShort, Interrupted, Continue                          string
	Edit, EditLabel, Regenerate                                       string
	PrevBranch, NextBranch, BranchLabel, BranchFailed                 string // BranchLabel: %d of %d; BranchFailed: %s the error
	Attach, Remove, Uploading, UploadRetrying, FileLost               string
	WaitingQuestion                                                   string
	Tokens                                                            string // %d total, %d prompt, %d completion
	App, PlainChat, Theme, SystemTheme, Light, Dark, Language         string
	Model                                                             string
	Instructions, InstructionsLabel, TemperatureLabel, SaveShort      string
	Share, ShareTitle, Sharing, ShareLink, Unshare, Done, ShareFailed string // ShareTitle: %s the title; ShareFailed: %s the error
	ReadAloud, StopReading                                            string
	InstructionsFailed, BadTemperature                                string // InstructionsFailed: %s the error
	SignedOut, Connected, ReconnectingIn, Reconnecting                string // ReconnectingIn: %d seconds
	Offline, Disconnected, Connecting, RetryNow                       string
	Skip                                                              string
	Settings, ServerAddress, TokenLabel, TokenHint, Save              string
	BadServer, ServerNotAllowed                                       string // %s: the address; the allowed servers
	NeedServer                                                        string
	NeedToken                                                         string // %s: the server
	SignedInAs                                                        string // %s: the name
	SwitchAccount                                                     string // %s: the link's account, %s: the one in use
	AnotherAccount, Switch, Stay                                      string
	UpdateReady, Reload, Install                                      string
}

var english = texts{
	Conversations: "Conversations", NewChat: "+ New chat", NewChatTitle: "New chat (Ctrl+K)", Search: "Search chats", NothingFound: "Nothing found",
	Rename: "Rename", RenameTitle: "Rename “%s”", NewTitle: "New title", Delete: "Delete", DeleteTitle: "Delete “%s”", Cancel: "Cancel",
	DeleteConfirm: "Delete “%s”?",
	AskAnything:   "Ask anything", AnswersStream: "Answers stream in as the model writes them.", Placeholder: "Ask anything…",
	ComposerHint: "Enter sends, Shift+Enter starts a new line", Label: "Your question",
	Send: "Send", Stop: "Stop", StopTitle: "Stop (Esc)", JumpToLatest: "Jump to latest ↓",
	ShowEarlier: "Show earlier messages", ShowEarlierN: "Show earlier messages (%d)",
	Loading: "Loading…", LoadFailed: "This conversation could not be loaded: %s", RenameFailed: "Could not rename: %s", DeleteFailed: "Could not delete: %s",
	NotConnected:   "Not connected: sign in first.",
	ContinuePrompt: "Continue your previous answer from where it stopped.",
	Copy:           "Copy", Copied: "Copied", CopyAnswerTitle: "Copy the answer as markdown", CopyCode: "Copy code",
	Stopped: "Stopped.", CutShort: "Cut short: the answer reached its length limit.",
	Interrupted: "Interrupted: the server stopped before this answer was finished. ", Continue: "Continue",
	Edit: "Edit", EditLabel: "Edit the question: Enter sends it again, Esc cancels", Regenerate: "Regenerate",
	PrevBranch: "Previous version", NextBranch: "Next version", BranchLabel: "Version %d of %d", BranchFailed: "Could not switch versions: %s",
	Attach: "Attach images or text files (or paste, or drop them here)", Remove: "Remove", Uploading: "Uploading…",
	UploadRetrying: "cannot reach the server: trying again", FileLost: "not kept over the reload: attach it again",
	WaitingQuestion: "Asked once its files are up:",
	Tokens:          "%d tokens (%d + %d)",
	ReadAloud:       "Read aloud", StopReading: "Stop reading",
	Share: "Share", ShareTitle: "Share “%s” by link", Sharing: "Making a link…", ShareLink: "Open link", Unshare: "Stop sharing", Done: "Done",
	ShareFailed:  "Could not share: %s",
	Instructions: "Instructions", SaveShort: "Save", InstructionsLabel: "How the model should answer in this chat", TemperatureLabel: "Temperature (0 to 2; empty: the default)",
	InstructionsFailed: "Could not save the instructions: %s", BadTemperature: "The temperature is a number from 0 to 2, or empty.",
	App: "App", PlainChat: "Chat", Model: "Model", Theme: "Theme", SystemTheme: "System theme", Light: "Light", Dark: "Dark", Language: "Language",
	SignedOut: "Signed out: to sign in again, open your login link or paste a token in Settings",
	Connected: "Connected", ReconnectingIn: "Reconnecting in %d s", Reconnecting: "Reconnecting…",
	Offline: "Offline: questions wait until the network is back", Disconnected: "Disconnected", Connecting: "Connecting…", RetryNow: "Retry now",
	Skip:     "Skip to the question box",
	Settings: "Settings", ServerAddress: "Server", TokenLabel: "Token", TokenHint: "Paste a token to sign in", Save: "Save and reconnect",
	BadServer:        "“%s” is not a server address: type one like https://chat.example.com",
	ServerNotAllowed: "This site may only connect to: %s",
	NeedServer:       "Type the address of your wasmchat server first.",
	NeedToken:        "Paste a token for %s: each server has its own.",
	SignedInAs:       "Signed in as %s",
	SwitchAccount:    "This login link signs in as %s. You are signed in as %s: your next questions would go to the other account. Switch?",
	AnotherAccount:   "another account", Switch: "Switch", Stay: "Stay signed in",
	UpdateReady: "A new version of wasmchat is available.", Reload: "Reload", Install: "Install app",
}

var chinese = texts{
	Conversations: "对话", NewChat: "+ 新对话", NewChatTitle: "新对话 (Ctrl+K)", Search: "搜索对话", NothingFound: "没有找到",
	Rename: "重命名", RenameTitle: "重命名“%s”", NewTitle: "新标题", Delete: "删除", DeleteTitle: "删除“%s”", Cancel: "取消",
	DeleteConfirm: "删除“%s”？",
	AskAnything:   "有什么可以帮你？", AnswersStream: "回答会随模型生成实时显示。", Placeholder: "输入你的问题…",
	ComposerHint: "Enter 发送，Shift+Enter 换行", Label: "你的问题",
	Send: "发送", Stop: "停止", StopTitle: "停止 (Esc)", JumpToLatest: "跳到最新 ↓",
	ShowEarlier: "显示更早的消息", ShowEarlierN: "显示更早的消息（%d）",
	Loading: "加载中…", LoadFailed: "无法加载这个对话：%s", RenameFailed: "重命名失败：%s", DeleteFailed: "删除失败：%s",
	NotConnected:   "未连接：请先登录。",
	ContinuePrompt: "请从中断的地方继续你上一个回答。",
	Copy:           "复制", Copied: "已复制", CopyAnswerTitle: "以 Markdown 复制回答", CopyCode: "复制代码",
	Stopped: "已停止。", CutShort: "已截断：回答达到了长度上限。",
	Interrupted: "已中断：服务器在回答完成前停止了。", Continue: "继续",
	Edit: "编辑", EditLabel: "编辑问题：Enter 重新发送，Esc 取消", Regenerate: "重新生成",
	PrevBranch: "上一个版本", NextBranch: "下一个版本", BranchLabel: "第 %d 个版本，共 %d 个", BranchFailed: "无法切换版本：%s",
	Attach: "附加图片或文本文件（也可粘贴或拖放到这里）", Remove: "移除", Uploading: "上传中…",
	UploadRetrying: "无法连接服务器：正在重试", FileLost: "重新加载时未能保留：请重新附加",
	WaitingQuestion: "文件上传完成后发送：",
	Tokens:          "%d 个 token（%d + %d）",
	ReadAloud:       "朗读", StopReading: "停止朗读",
	Share: "分享", ShareTitle: "通过链接分享“%s”", Sharing: "正在生成链接…", ShareLink: "打开链接", Unshare: "停止分享", Done: "完成",
	ShareFailed:  "无法分享：%s",
	Instructions: "指令", SaveShort: "保存", InstructionsLabel: "模型在此对话中应如何回答", TemperatureLabel: "温度（0 到 2；留空为默认）",
	InstructionsFailed: "无法保存指令：%s", BadTemperature: "温度是 0 到 2 之间的数，或留空。",
	App: "应用", PlainChat: "聊天", Model: "模型", Theme: "主题", SystemTheme: "跟随系统", Light: "浅色", Dark: "深色", Language: "语言",
	SignedOut: "已退出登录：请打开登录链接或在设置中粘贴令牌，重新登录",
	Connected: "已连接", ReconnectingIn: "%d 秒后重新连接", Reconnecting: "正在重新连接…",
	Offline: "离线：问题会在网络恢复后发送", Disconnected: "已断开", Connecting: "正在连接…", RetryNow: "立即重试",
	Skip:     "跳到输入框",
	Settings: "设置", ServerAddress: "服务器", TokenLabel: "令牌", TokenHint: "粘贴令牌以登录", Save: "保存并重新连接",
	BadServer:        "“%s”不是服务器地址：请输入类似 https://chat.example.com 的地址",
	ServerNotAllowed: "本站只能连接：%s",
	NeedServer:       "请先输入你的 wasmchat 服务器地址。",
	NeedToken:        "请粘贴 %s 的令牌：每个服务器有各自的令牌。",
	SignedInAs:       "已登录为 %s",
	SwitchAccount:    "此登录链接将登录为 %s。你当前登录为 %s：之后的问题会发到另一个账户。要切换吗？",
	AnotherAccount:   "另一个账户", Switch: "切换", Stay: "保持当前登录",
	UpdateReady: "wasmchat 有新版本。", Reload: "重新加载", Install: "安装应用",
}

// Languages the page speaks, by BCP 47 tag.
const (
	langEnglish = "en"
	langChinese = "zh-CN"
)

var languageChoices = []choice{
	{Value: langEnglish, Text: "English"},
	{Value: langChinese, Text: "简体中文"},
}

// tr returns the texts of language lang (English for any other).
func tr(lang string) *texts {
	if lang == langChinese {
		return &chinese
	}
	return &english
}

// pickLanguage returns the page's language for the browser's preferred
// languages, in order: the first English or Chinese one wins (any zh
// variant reads Simplified Chinese better than English); none, English.
func pickLanguage(preferred []string) string {
	for _, p := range preferred {
		p = strings.ToLower(p)
		switch {
		case p == "en" || strings.HasPrefix(p, "en-"):
			return langEnglish
		case p == "zh" || strings.HasPrefix(p, "zh-"):
			return langChinese
		}
	}
	return langEnglish
}
