package page

import (
	"strings"
)

// messages are the words of the pages in one language.
type messages struct {
	feeds     string    // the index page's title after the site's: "Feeds"
	intro     string    // how to subscribe
	opml      string    // the OPML link's text
	filter    string    // the filter box's label
	kinds     [4]string // the groups' headings: site, categories, tags, authors
	all       string    // the site-wide feed's label
	items     func(n int) string
	back      string // the link from a preview to the index
	feedURL   string // the copyable feed URL's label
	copy      string // the copy button
	copied    string // the copy button once it copied
	subscribe string // before the subscribe links
	empty     string // a feed without items
	none      string // the filter matched nothing
	file      string // an attachment's link
}

// plural returns one when n is 1, other (with n in place of %d) else.
func plural(one, other string) func(int) string {
	return func(n int) string {
		if n == 1 {
			return strings.ReplaceAll(one, "%d", itoa(n))
		}
		return strings.ReplaceAll(other, "%d", itoa(n))
	}
}

// counted is for languages without plural forms: "%d 篇".
func counted(form string) func(int) string {
	return func(n int) string { return strings.ReplaceAll(form, "%d", itoa(n)) }
}

var english = messages{
	feeds:     "feeds",
	intro:     "Subscribe in any feed reader: RSS 2.0, Atom 1.0 or JSON Feed 1.1.",
	opml:      "Every feed in one file (OPML)",
	filter:    "Filter feeds",
	kinds:     [4]string{"Site", "Categories", "Tags", "Authors"},
	all:       "All articles",
	items:     plural("1 item", "%d items"),
	back:      "All feeds",
	feedURL:   "Feed URL",
	copy:      "Copy",
	copied:    "Copied",
	subscribe: "Subscribe:",
	empty:     "No articles yet.",
	none:      "No feed matches.",
	file:      "Attachment",
}

// languages holds the pages' words by language: the primary subtag,
// "zh-Hant" for Chinese in traditional characters.
var languages = map[string]*messages{
	"en": &english,
	"zh": {
		feeds:     "订阅源",
		intro:     "可用任意阅读器订阅:RSS 2.0、Atom 1.0 或 JSON Feed 1.1。",
		opml:      "全部订阅源(OPML 文件)",
		filter:    "筛选订阅源",
		kinds:     [4]string{"全站", "分类", "标签", "作者"},
		all:       "全部文章",
		items:     counted("%d 篇"),
		back:      "全部订阅源",
		feedURL:   "订阅地址",
		copy:      "复制",
		copied:    "已复制",
		subscribe: "订阅:",
		empty:     "暂无文章。",
		none:      "没有匹配的订阅源。",
		file:      "附件",
	},
	"zh-Hant": {
		feeds:     "訂閱源",
		intro:     "可用任何閱讀器訂閱:RSS 2.0、Atom 1.0 或 JSON Feed 1.1。",
		opml:      "全部訂閱源(OPML 檔案)",
		filter:    "篩選訂閱源",
		kinds:     [4]string{"全站", "分類", "標籤", "作者"},
		all:       "全部文章",
		items:     counted("%d 篇"),
		back:      "全部訂閱源",
		feedURL:   "訂閱網址",
		copy:      "複製",
		copied:    "已複製",
		subscribe: "訂閱:",
		empty:     "尚無文章。",
		none:      "沒有符合的訂閱源。",
		file:      "附件",
	},
	"ja": {
		feeds:     "フィード",
		intro:     "お好みのフィードリーダーで購読できます:RSS 2.0、Atom 1.0、JSON Feed 1.1。",
		opml:      "すべてのフィード(OPML)",
		filter:    "フィードを絞り込む",
		kinds:     [4]string{"サイト全体", "カテゴリー", "タグ", "著者"},
		all:       "すべての記事",
		items:     counted("%d 件"),
		back:      "フィード一覧",
		feedURL:   "フィードの URL",
		copy:      "コピー",
		copied:    "コピーしました",
		subscribe: "購読:",
		empty:     "記事はまだありません。",
		none:      "一致するフィードはありません。",
		file:      "添付ファイル",
	},
	"ko": {
		feeds:     "피드",
		intro:     "원하는 피드 리더로 구독하세요: RSS 2.0, Atom 1.0, JSON Feed 1.1.",
		opml:      "모든 피드(OPML)",
		filter:    "피드 찾기",
		kinds:     [4]string{"사이트 전체", "카테고리", "태그", "작성자"},
		all:       "모든 기사",
		items:     counted("%d건"),
		back:      "전체 피드",
		feedURL:   "피드 주소",
		copy:      "복사",
		copied:    "복사됨",
		subscribe: "구독:",
		empty:     "아직 기사가 없습니다.",
		none:      "일치하는 피드가 없습니다.",
		file:      "첨부 파일",
	},
	"fr": {
		feeds:     "flux",
		intro:     "Abonnez-vous avec n’importe quel lecteur de flux : RSS 2.0, Atom 1.0 ou JSON Feed 1.1.",
		opml:      "Tous les flux dans un fichier (OPML)",
		filter:    "Filtrer les flux",
		kinds:     [4]string{"Site", "Rubriques", "Mots-clés", "Auteurs"},
		all:       "Tous les articles",
		items:     frenchItems,
		back:      "Tous les flux",
		feedURL:   "Adresse du flux",
		copy:      "Copier",
		copied:    "Copié",
		subscribe: "S’abonner :",
		empty:     "Pas encore d’article.",
		none:      "Aucun flux ne correspond.",
		file:      "Pièce jointe",
	},
	"de": {
		feeds:     "Feeds",
		intro:     "Abonnieren Sie mit jedem Feedreader: RSS 2.0, Atom 1.0 oder JSON Feed 1.1.",
		opml:      "Alle Feeds in einer Datei (OPML)",
		filter:    "Feeds filtern",
		kinds:     [4]string{"Website", "Rubriken", "Schlagwörter", "Autoren"},
		all:       "Alle Artikel",
		items:     plural("1 Artikel", "%d Artikel"),
		back:      "Alle Feeds",
		feedURL:   "Feed-Adresse",
		copy:      "Kopieren",
		copied:    "Kopiert",
		subscribe: "Abonnieren:",
		empty:     "Noch keine Artikel.",
		none:      "Kein Feed passt.",
		file:      "Anhang",
	},
	"es": {
		feeds:     "feeds",
		intro:     "Suscríbase con cualquier lector de feeds: RSS 2.0, Atom 1.0 o JSON Feed 1.1.",
		opml:      "Todos los feeds en un archivo (OPML)",
		filter:    "Filtrar feeds",
		kinds:     [4]string{"Sitio", "Secciones", "Etiquetas", "Autores"},
		all:       "Todos los artículos",
		items:     plural("1 artículo", "%d artículos"),
		back:      "Todos los feeds",
		feedURL:   "Dirección del feed",
		copy:      "Copiar",
		copied:    "Copiado",
		subscribe: "Suscribirse:",
		empty:     "Todavía no hay artículos.",
		none:      "Ningún feed coincide.",
		file:      "Adjunto",
	},
	"ar": {
		feeds:     "الخلاصات",
		intro:     "اشترك من أي قارئ خلاصات: RSS 2.0 أو Atom 1.0 أو JSON Feed 1.1.",
		opml:      "كل الخلاصات في ملف واحد (OPML)",
		filter:    "تصفية الخلاصات",
		kinds:     [4]string{"الموقع", "الأقسام", "الوسوم", "الكتّاب"},
		all:       "كل المقالات",
		items:     arabicItems,
		back:      "كل الخلاصات",
		feedURL:   "عنوان الخلاصة",
		copy:      "نسخ",
		copied:    "تم النسخ",
		subscribe: "اشترك:",
		empty:     "لا توجد مقالات بعد.",
		none:      "لا توجد خلاصة مطابقة.",
		file:      "مرفق",
	},
}

// frenchItems takes the singular for 0 and 1, as French does.
func frenchItems(n int) string {
	if n <= 1 {
		return itoa(n) + " article"
	}
	return itoa(n) + " articles"
}

// arabicItems follows CLDR's plural rules for Arabic: zero, one, two, few
// (3–10 mod 100), many (11–99 mod 100), other.
func arabicItems(n int) string {
	switch m := n % 100; {
	case n == 0:
		return "لا مقالات"
	case n == 1:
		return "مقالة واحدة"
	case n == 2:
		return "مقالتان"
	case m >= 3 && m <= 10:
		return itoa(n) + " مقالات"
	default:
		return itoa(n) + " مقالة"
	}
}

// language returns the pages' words for a BCP 47 tag: by its primary
// subtag, Chinese in traditional characters for Hant, TW, HK and MO, and
// English for a language the pages do not speak.
func language(tag string) *messages {
	parts := strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 {
		return &english
	}
	key := parts[0]
	if key == "zh" {
		for _, p := range parts[1:] {
			if p == "hant" || p == "tw" || p == "hk" || p == "mo" {
				key = "zh-Hant"
			}
			if p == "hans" {
				break
			}
		}
	}
	if m, ok := languages[key]; ok {
		return m
	}
	return &english
}

// direction is "rtl" for languages written right to left, "" (the default,
// left to right) for the others.
func direction(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "ug", "sd", "ckb", "syr":
		return "rtl"
	}
	return ""
}
