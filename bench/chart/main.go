// Command chart draws the build benchmark's measurements (bench/build.sh) as
// an SVG image: two panels, full-build wall time and peak memory against the
// number of articles, both axes logarithmic, a line per tool and mode.
//
//	bench/chart -title 'feedpub vs Hugo' -note 'machine, date' <medians.csv >docs/build-chart.svg
//
// The input is CSV with a header naming at least the columns tool, mode,
// articles, wall_s and rss_kb (other columns are ignored), one row per tool,
// mode and corpus size: the medians the table shows. Lines are coloured by
// tool and dashed by mode, in the order the rows first name them.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	title := flag.String("title", "Full build from scratch: feedpub vs Hugo", "title above the panels")
	note := flag.String("note", "", "a line under the title (machine, date)")
	out := flag.String("o", "", "write the SVG here instead of standard output")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "chart: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	series, err := readSeries(os.Stdin)
	if err == nil {
		svg := draw(series, *title, *note)
		if *out == "" {
			_, err = io.WriteString(os.Stdout, svg)
		} else {
			err = os.WriteFile(*out, []byte(svg), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

// point is one measurement: a corpus size and its median figures.
type point struct {
	articles float64
	wallS    float64
	rssMiB   float64
}

// series is one line: a tool in a mode.
type series struct {
	tool, mode string
	points     []point // by articles
}

func (s series) label() string { return s.tool + ", " + s.mode }

func readSeries(r io.Reader) ([]series, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, errors.New("no measurements on standard input (CSV with a header)")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.TrimSpace(name)] = i
	}
	for _, name := range []string{"tool", "mode", "articles", "wall_s", "rss_kb"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("the header has no column %q", name)
		}
	}
	var out []series
	index := map[string]int{}
	for n, row := range rows[1:] {
		num := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(row[col[name]]), 64)
			if err == nil && !(v > 0) {
				err = errors.New("not a positive number")
			}
			if err != nil {
				return 0, fmt.Errorf("row %d, %s: %w", n+2, name, err)
			}
			return v, nil
		}
		var p point
		var rss float64
		if p.articles, err = num("articles"); err != nil {
			return nil, err
		}
		if p.wallS, err = num("wall_s"); err != nil {
			return nil, err
		}
		if rss, err = num("rss_kb"); err != nil {
			return nil, err
		}
		p.rssMiB = rss / 1024
		tool, mode := strings.TrimSpace(row[col["tool"]]), strings.TrimSpace(row[col["mode"]])
		key := tool + "\x00" + mode
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, series{tool: tool, mode: mode})
		}
		out[i].points = append(out[i].points, p)
	}
	for _, s := range out {
		sort.Slice(s.points, func(i, j int) bool { return s.points[i].articles < s.points[j].articles })
	}
	return out, nil
}

// Layout, in SVG user units (pixels).
const (
	width       = 1000
	height      = 520
	panelTop    = 100
	panelHeight = 300
	panelWidth  = 370
	marginLeft  = 80
	panelGap    = 120
)

var (
	toolColours = []string{"#1f5fbf", "#d9541a", "#2a9d3a", "#8e44ad"}
	modeDashes  = []string{"", "7 5", "2 4", "10 4 2 4"}
	fontFamily  = "DejaVu Sans, Verdana, Arial, sans-serif"
)

func draw(all []series, title, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="13">`+"\n",
		width, height, width, height, fontFamily)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="30" font-size="18" font-weight="bold" text-anchor="middle">%s</text>`+"\n", width/2, esc(title))
	if note != "" {
		fmt.Fprintf(&b, `<text x="%d" y="52" font-size="12" fill="#555555" text-anchor="middle">%s</text>`+"\n", width/2, esc(note))
	}

	tools, modes := map[string]int{}, map[string]int{}
	for _, s := range all {
		if _, ok := tools[s.tool]; !ok {
			tools[s.tool] = len(tools)
		}
		if _, ok := modes[s.mode]; !ok {
			modes[s.mode] = len(modes)
		}
	}
	style := func(s series) (colour, dash string) {
		return toolColours[tools[s.tool]%len(toolColours)], modeDashes[modes[s.mode]%len(modeDashes)]
	}

	panels := []struct {
		title, axis string
		value       func(point) float64
		format      func(float64) string
	}{
		{"Full build time", "wall time (s, log scale)", func(p point) float64 { return p.wallS }, formatNumber},
		{"Peak memory", "peak RSS (MiB, log scale)", func(p point) float64 { return p.rssMiB }, formatNumber},
	}
	var xs []float64
	for _, s := range all {
		for _, p := range s.points {
			xs = append(xs, p.articles)
		}
	}
	for i, pn := range panels {
		var ys []float64
		for _, s := range all {
			for _, p := range s.points {
				ys = append(ys, pn.value(p))
			}
		}
		left := float64(marginLeft + i*(panelWidth+panelGap))
		x := newLogAxis(xs, left, left+panelWidth)
		y := newLogAxis(ys, panelTop+panelHeight, panelTop)
		bottom, top, right := float64(panelTop+panelHeight), float64(panelTop), left+panelWidth

		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="15" font-weight="bold" text-anchor="middle">%s</text>`+"\n", left+panelWidth/2, panelTop-18, esc(pn.title))
		// grid and ticks
		for _, t := range y.ticks() {
			py := y.at(t)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", left, py, right, py)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, py, pn.format(t))
		}
		for _, t := range x.ticks() {
			px := x.at(t)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", px, top, px, bottom)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px, bottom+18, formatCount(t))
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" fill="none" stroke="#333333"/>`+"\n", left, top, panelWidth, panelHeight)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">articles (log scale)</text>`+"\n", left+panelWidth/2, bottom+40)
		fmt.Fprintf(&b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", left-58, top+panelHeight/2, esc(pn.axis))
		// lines
		for _, s := range all {
			colour, dash := style(s)
			var pts []string
			for _, p := range s.points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.at(p.articles), y.at(pn.value(p))))
			}
			dashAttr := ""
			if dash != "" {
				dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s><title>%s</title></polyline>`+"\n",
				strings.Join(pts, " "), colour, dashAttr, esc(s.label()))
			for _, p := range s.points {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %s articles, %s</title></circle>`+"\n",
					x.at(p.articles), y.at(pn.value(p)), colour, esc(s.label()), formatCount(p.articles), pn.format(pn.value(p)))
			}
		}
	}
	// legend, one entry per line, under the panels
	const legendY = panelTop + panelHeight + 75
	step := float64(width-2*marginLeft) / float64(max(len(all), 1))
	for i, s := range all {
		colour, dash := style(s)
		lx := float64(marginLeft) + float64(i)*step
		dashAttr := ""
		if dash != "" {
			dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2.5"%s/>`+"\n", lx, legendY, lx+36, legendY, colour, dashAttr)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="4" fill="%s"/>`+"\n", lx+18, legendY, colour)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" dominant-baseline="middle">%s</text>`+"\n", lx+44, legendY, esc(s.label()))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// logAxis maps values to pixels on a logarithmic scale.
type logAxis struct {
	lo, hi     float64 // log10 of the range shown
	from, to   float64 // pixels of lo and hi
	minV, maxV float64
}

func newLogAxis(vs []float64, from, to float64) logAxis {
	minV, maxV := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		minV, maxV = math.Min(minV, v), math.Max(maxV, v)
	}
	if len(vs) == 0 {
		minV, maxV = 1, 10
	}
	lo, hi := math.Log10(minV), math.Log10(maxV)
	pad := math.Max((hi-lo)*0.08, 0.05)
	if hi-lo < 0.3 { // one size, or nearly equal values: show at least a factor of 2 around them
		mid := (hi + lo) / 2
		lo, hi = mid-0.15, mid+0.15
	}
	return logAxis{lo: lo - pad, hi: hi + pad, from: from, to: to, minV: minV, maxV: maxV}
}

func (a logAxis) at(v float64) float64 {
	return a.from + (math.Log10(v)-a.lo)/(a.hi-a.lo)*(a.to-a.from)
}

// ticks are the powers of ten in range, with 2× and 5× between them when
// fewer than three decades are shown, and more subdivisions when less
// than one is.
func (a logAxis) ticks() []float64 {
	span := a.hi - a.lo
	mults := []float64{1}
	switch {
	case span < 0.7:
		mults = []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9}
	case span < 1.5:
		mults = []float64{1, 2, 3, 5}
	case span < 3:
		mults = []float64{1, 2, 5}
	}
	var out []float64
	for e := math.Floor(a.lo); e <= math.Ceil(a.hi); e++ {
		for _, m := range mults {
			v := m * math.Pow(10, e)
			if l := math.Log10(v); l >= a.lo && l <= a.hi {
				out = append(out, v)
			}
		}
	}
	return out
}

// formatNumber writes a tick or value with as few digits as it needs.
func formatNumber(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v >= 10:
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	case v >= 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// formatCount writes an article count: 1k, 2.5k, 100k, 1M, 1,234.
func formatCount(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e5) == 0:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3 && math.Mod(v, 100) == 0:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	default:
		n := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		for i := len(n) - 3; i > 0; i -= 3 {
			n = n[:i] + "," + n[i:]
		}
		return n
	}
}

// esc escapes text for SVG (XML) character data and attribute values.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
