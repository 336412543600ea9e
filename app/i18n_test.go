package app

import (
	"reflect"
	"regexp"
	"slices"
	"testing"
)

func TestPickLanguage(t *testing.T) {
	for _, c := range []struct {
		preferred []string
		want      string
	}{
		{nil, langEnglish},
		{[]string{"zh-CN", "en"}, langChinese},
		{[]string{"zh-TW"}, langChinese},
		{[]string{"ZH"}, langChinese},
		{[]string{"fr-FR", "en-GB", "zh-CN"}, langEnglish},
		{[]string{"de", "zh-Hans-CN"}, langChinese},
		{[]string{"ja"}, langEnglish},
		{[]string{"zhx"}, langEnglish},
	} {
		if got := pickLanguage(c.preferred); got != c.want {
			t.Errorf("pickLanguage(%q) = %q, want %q", c.preferred, got, c.want)
		}
	}
}

var verbs = regexp.MustCompile(`%[sdv]`)

// TestCatalogsComplete: every text is there in both languages, with the
// same format verbs in the same order.
func TestCatalogsComplete(t *testing.T) {
	en, zh := reflect.ValueOf(english), reflect.ValueOf(chinese)
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		e, z := en.Field(i).String(), zh.Field(i).String()
		if e == "" || z == "" {
			t.Errorf("%s: English %q, Chinese %q: both needed", name, e, z)
		}
		if ve, vz := verbs.FindAllString(e, -1), verbs.FindAllString(z, -1); !slices.Equal(ve, vz) {
			t.Errorf("%s: English has %q, Chinese %q", name, ve, vz)
		}
	}
	if tr("zh-CN") != &chinese || tr("en") != &english || tr("xx") != &english {
		t.Error("tr does not map the page's languages")
	}
}

// TestSpeechLang: an answer mostly in Chinese is read in Chinese, any other
// in the page's language.
func TestSpeechLang(t *testing.T) {
	for _, tt := range []struct{ text, page, want string }{
		{"Hello, world", langEnglish, langEnglish},
		{"你好，世界。This is mixed 中文内容很多很多", langEnglish, langChinese},
		{"mostly English with 一 word", langChinese, langChinese},
		{"English", "", langEnglish},
		{"12345", langEnglish, langEnglish},
	} {
		if got := speechLang(tt.text, tt.page); got != tt.want {
			t.Errorf("speechLang(%q, %q) = %q, want %q", tt.text, tt.page, got, tt.want)
		}
	}
}
