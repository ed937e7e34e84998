// Command recent prints the document key of the newest article of a site
// built from a bench/corpus corpus: the first item of feeds/index.json in
// the given output folder (a corpus article's URL ends in <id>.html, its
// document is <id>.json).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: recent OUTPUT-FOLDER")
		os.Exit(2)
	}
	body, err := os.ReadFile(filepath.Join(os.Args[1], "feeds", "index.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "recent:", err)
		os.Exit(1)
	}
	var jf struct {
		Items []struct {
			URL string `json:"url"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &jf); err != nil || len(jf.Items) == 0 {
		fmt.Fprintln(os.Stderr, "recent: no items in feeds/index.json", err)
		os.Exit(1)
	}
	u := jf.Items[0].URL
	fmt.Println(strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".html") + ".json")
}
