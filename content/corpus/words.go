package corpus

// The vocabulary articles are made of. Names (categories, tags, authors)
// are drawn from these lists by a fixed procedure (see names.go), so they
// are the same for every seed; the seed decides what each article says.

// Categories, most used first: Latin, Chinese and Japanese names mixed.
var categoryNames = []string{
	"热点", "World", "経済", "Technology", "科技", "Business", "スポーツ", "文化",
	"Science", "体育", "Opinion", "健康", "国際", "Environment", "教育", "Travel",
	"エンタメ", "财经", "Politics", "Économie", "社会", "Culture", "地方", "Podcasts",
}

var enTagWords = []string{
	"economy", "climate", "energy", "solar", "trade", "housing", "education", "health",
	"transport", "AI", "semiconductors", "tourism", "agriculture", "startups", "finance", "elections",
	"sports", "football", "tennis", "space", "science", "culture", "music", "film",
	"books", "food", "travel", "weather", "floods", "water", "privacy", "cybersecurity",
	"jobs", "inflation", "retail", "logistics", "shipping", "ports", "rail", "aviation",
	"EV", "batteries", "mining", "steel", "textiles", "fashion", "gaming", "esports",
	"robotics", "biotech", "vaccines", "hospitals", "schools", "universities", "research", "museums",
	"heritage", "olympics", "marathon", "cycling", "budget", "taxes", "banking", "markets",
	"stocks", "property", "urban planning", "rural life", "elderly care", "childcare", "migration", "diplomacy",
	"media", "podcasts", "open source", "cloud", "5G", "broadband", "smartphones", "chips",
	"data centres", "nuclear", "wind power", "hydrogen", "recycling", "forests", "oceans", "wildlife",
	"air quality", "drought", "typhoons", "earthquakes", "Économie", "café culture", "São Paulo", "Zürich",
	"🚀 launches", "🌏 Asia",
}

var zhTagWords = []string{
	"人工智能", "新能源", "乡村振兴", "营商环境", "数字经济", "民生", "养老", "教育",
	"医疗", "就业", "消费", "旅游", "文化", "体育", "足球", "乒乓球",
	"航天", "芯片", "半导体", "新能源汽车", "光伏", "储能", "外贸", "跨境电商",
	"物流", "高铁", "地铁", "城市更新", "生态环保", "碳中和", "防汛", "气象",
	"农业", "粮食安全", "食品安全", "非遗", "博物馆", "春节", "端午", "中秋",
	"高考", "创业", "小微企业", "金融", "股市", "房地产", "数据安全", "网络安全",
	"大模型", "机器人", "无人机", "直播电商", "短视频", "电影", "音乐", "文学",
	"诗词", "播客", "冰雪运动", "马拉松", "社区", "志愿服务", "公益", "科技创新",
	"专精特新", "制造业", "钢铁", "镁产业", "振兴", "辽阳", "沈阳", "哈尔滨",
	"广东", "上海", "北京", "深圳", "杭州", "成都", "重庆", "西安", "武汉",
}

var jaTagWords = []string{
	"経済", "半導体", "観光", "物価", "円安", "少子化", "子育て", "医療",
	"防災", "地震", "台風", "桜", "祭り", "アニメ", "ゲーム", "野球",
	"サッカー", "相撲", "鉄道", "新幹線", "再生可能エネルギー", "原発", "漁業", "インバウンド",
	"地方創生", "働き方改革", "スタートアップ", "万博", "大阪", "東京", "京都", "熊本",
	"北海道", "沖縄", "選挙", "国会", "外交", "株価", "日銀", "賃上げ",
	"人手不足", "高齢化", "介護", "宇宙", "ロボット", "料理", "ラーメン", "温泉", "伝統工芸",
}

var (
	enFirst = []string{
		"Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
		"Amelia", "Daniel", "Chloé", "Mateo", "Grace", "Samuel", "Zoë", "Henry", "Leila", "Omar",
		"Priya", "Arjun", "Hannah", "Felix", "Ingrid", "Tomás", "Nadia", "Oscar", "Ruth", "Victor",
	}
	enLast = []string{
		"Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker",
		"García", "Müller", "O'Brien", "Nguyen", "Patel", "Kowalski", "Rossi", "Andersen", "Dubois", "Okafor",
		"Kim", "Silva", "Cohen", "Fischer", "Hughes", "Moreau", "Ivanova", "Larsen", "Mendes", "Clarke",
	}
	zhSurname = []string{
		"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
		"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
		"严", "欧阳", "司马",
	}
	zhGiven = []string{
		"伟", "芳", "娜", "敏", "静", "立新", "思远", "有胜", "刚", "佩鑫", "丽", "强", "磊", "洋", "艳",
		"勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚毅", "晓峰", "雨桐", "子涵", "浩然",
		"欣怡", "梓萱", "一诺", "宇轩", "若曦", "建国", "海燕", "文博", "嘉怡", "志强",
	}
	jaFamily = []string{
		"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
		"吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水",
	}
	jaGiven = []string{
		"太郎", "花子", "健太", "美咲", "翔太", "陽菜", "大輔", "さくら", "拓也", "結衣",
		"直樹", "あゆみ", "誠", "恵", "蓮", "葵", "悠真", "ひなた", "修", "千尋",
	}
)

// English sentences: subject, verb, object, tail.
var (
	enSubjects = []string{
		"The city council", "Local officials", "Researchers at the university", "A group of farmers",
		"The central bank", "Regional exporters", "Engineers at the plant", "The ministry",
		"Small businesses", "Residents", "The company", "Analysts", "Teachers", "Hospital staff",
		"Startup founders", "The port authority", "Economists", "Volunteers", "The transport agency",
		"Climate scientists", "The organisers", "Two independent auditors",
	}
	enVerbs = []string{
		"announced", "approved", "reviewed", "criticised", "welcomed", "delayed", "expanded",
		"tested", "reported", "proposed", "launched", "questioned", "funded", "completed", "debated",
		"defended", "postponed", "published",
	}
	enObjects = []string{
		"a new plan for public transport", "the budget for next year", "a pilot programme for electric buses",
		"stricter rules on data privacy", "the results of a two-year study", "plans to build more housing",
		"a partnership with overseas suppliers", "measures to cut energy costs", "a review of school meals",
		"the expansion of the metro line", "new funding for rural clinics", "an early warning system for floods",
		"the rollout of faster broadband", "a campaign against food waste", "the first quarterly figures",
		"a proposal to extend opening hours", "a survey of 4,000 households", "the design of the new bridge",
	}
	enTails = []string{
		"on Tuesday", "after months of debate", "despite strong opposition", "earlier this week",
		"according to people familiar with the matter", "in a statement", "ahead of the summer season",
		"as prices continued to rise", "following a public consultation", "for the third year in a row",
		"in response to growing demand", "at a press conference", "without giving further details",
		"", "", "",
	}
	enQuotes = []string{
		"We have to move faster", "This is only the beginning", "The numbers speak for themselves",
		"Nobody expected it to go this well", "We listened to what people told us", "It will take time",
	}
	enLinkTexts = []string{"the full report", "our earlier coverage", "the official statement", "this explainer", "the data", "here"}

	enTitleSubjects = []string{
		"City Council", "Central Bank", "Port Authority", "Ministry", "Regulator", "University", "Carmaker",
		"Airline", "Startup", "Museum", "Hospital Group", "School Board", "Utility", "Retailer",
	}
	enTitleVerbs = []string{
		"Approves", "Delays", "Expands", "Tests", "Backs", "Rethinks", "Unveils", "Warns Over", "Bets on",
		"Cuts", "Doubles Down on", "Pushes Back on",
	}
	enTitleObjects = []string{
		"Solar Subsidies", "Metro Extension", "Data Rules", "Housing Plan", "Flood Defences", "AI Tools",
		"Rural Clinics", "Night Markets", "Chip Exports", "Bike Lanes", "Four-Day Week", "Battery Recycling",
	}
	enTitleTails = []string{": What We Know", " Amid Rising Costs", " After Record Year", "", "", "", ""}
)

// Chinese sentences: an opening, a subject, a predicate, sometimes a result.
var (
	zhOpenings = []string{
		"今年以来", "在政策支持下", "截至目前", "据了解", "与去年同期相比", "从长远看",
		"为了满足市场需求", "记者从会上获悉", "近日", "春节假期期间",
	}
	zhSubjects = []string{
		"市政府", "相关部门", "研究人员", "当地企业", "专家", "合作社负责人", "居民", "教育部门",
		"交通运输部门", "多家银行", "园区管委会", "文旅部门",
	}
	zhPredicates = []string{
		"表示将进一步加大投入", "正在推进数字化转型", "发布了最新统计数据", "启动了新一轮试点",
		"加强了安全监管", "提出了具体的实施方案", "召开了专题会议", "推出了一批便民服务措施",
		"完成了年度目标任务", "积极探索可持续发展模式", "持续优化营商环境", "与高校开展联合攻关",
	}
	zhResults = []string{
		"产业结构不断优化", "市场活力持续释放", "群众满意度明显提升", "出口规模创下新高",
		"新能源汽车销量稳步增长", "营商环境进一步改善", "科技创新能力显著增强", "游客人数同比增长三成",
	}
	zhQuotes    = []string{"哪里需要就往哪里去", "一分部署,九分落实", "让数据多跑路,让群众少跑腿", "好日子是干出来的"}
	zhLinkTexts = []string{"这里", "相关报道", "政策全文", "服务地图", "数据详情"}

	zhTitlePlaces  = []string{"辽阳", "沈阳", "广东", "上海", "成都", "杭州", "哈尔滨", "深圳", "武汉", "西安", "苏州", "青岛"}
	zhTitleTopics  = []string{"新能源汽车", "数字经济", "乡村振兴", "文旅消费", "智能制造", "冰雪旅游", "养老服务", "跨境电商", "人工智能产业", "高校毕业生就业"}
	zhTitleResults = []string{"跑出加速度", "迎来新机遇", "交出亮眼成绩单", "按下快进键", "持续升温", "实现稳步增长", "开启新篇章", "释放新活力"}
	zhTitleTails   = []string{":记者实地探访", "——来自一线的报道", "", "", "", ""}
)

// Japanese sentences: an opening, a subject, a predicate.
var (
	jaOpenings = []string{
		"今年に入り", "関係者によると", "調査の結果", "発表によれば", "地元では", "この日",
		"前年と比べると", "専門家の間では",
	}
	jaSubjects = []string{
		"市の担当者は", "研究チームは", "地元企業は", "観光協会は", "政府は", "住民の多くは",
		"大学の研究者は", "鉄道会社は",
	}
	jaPredicates = []string{
		"新たな計画を発表した", "支援策の拡充を検討している", "実証実験を開始した", "前年を上回る成果を上げた",
		"安全対策の強化を求めている", "デジタル化を進めている", "需要の回復に期待を寄せている",
		"来年度の予算案をまとめた", "課題の解決に向けて協議を続けている",
	}
	jaQuotes    = []string{"一歩ずつ前に進みたい", "地域の力を信じている", "想像以上の反響だった"}
	jaLinkTexts = []string{"こちら", "関連記事", "発表資料", "特集ページ"}

	jaTitlePlaces  = []string{"熊本", "大阪", "札幌", "福岡", "京都", "仙台", "横浜", "名古屋", "那覇"}
	jaTitleTopics  = []string{"半導体工場", "観光客", "再生可能エネルギー", "物価高", "子育て支援", "インバウンド需要", "桜の開花", "地方鉄道"}
	jaTitleResults = []string{"が過去最高に", "の課題浮き彫り", "に期待高まる", "で新たな動き", "が本格始動", "をめぐり議論"}
)

var sources = []struct{ name, url string }{
	{"蓝影头条", "https://lanying.example.cn/"},
	{"Example Wire", "https://wire.example.com/"},
	{"共同通信(例)", "https://kyodo.example.jp/"},
	{"新华网示例", "https://xinhua.example.cn/"},
	{"Harbour Post", ""},
}

// strays are characters XML 1.0 forbids, as JSON escapes: old CMS exports
// carry them, the parser drops them (a lone surrogate becomes U+FFFD).
var strays = []string{`\u0007`, `\u000b`, `\u0001`, `\u001f`, `\u000c`, `\u0000`, `\ufffe`, `\u0008`, `\ud800`}
