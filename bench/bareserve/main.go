// Command bareserve is the yardstick of bench/serve.sh: the least a Go
// net/http server can do to answer a feed poll, one precompressed body
// held in memory, its ETag compared as a string, no negotiation, no
// revalidation, no other header. feedpub's server is measured against it
// and against nginx in the same run.
//
//	bareserve -file feeds/index.rss.gz -addr 127.0.0.1:8081
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	file := flag.String("file", "", "the body to serve, gzip-encoded")
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	length := []string{strconv.Itoa(len(body))}
	etag := []string{`"bare"`}
	typ, enc := []string{"application/rss+xml; charset=utf-8"}, []string{"gzip"}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Etag"] = etag
		if r.Header.Get("If-None-Match") == etag[0] {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Type"], h["Content-Encoding"], h["Content-Length"] = typ, enc, length
		_, _ = w.Write(body)
	})))
}
