// Command s3edit changes one article document in a store, for the
// incremental benchmarks (bench/incremental.sh): edit prefixes its title
// (keeping the old bytes in a file), delete removes it, restore puts the
// kept bytes back.
//
//	s3edit LOCATION KEY edit|delete|restore
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/feedpub/feedpub/content/store"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: s3edit LOCATION KEY edit|delete|restore")
		os.Exit(2)
	}
	saved := filepath.Join(os.TempDir(), "feedpub-s3edit-saved.json")
	ctx := context.Background()
	b, err := store.Open(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	key, op := os.Args[2], os.Args[3]
	switch op {
	case "edit":
		o, err := b.Get(ctx, key)
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(saved, o.Body, 0o644); err != nil {
			panic(err)
		}
		body := bytes.Replace(o.Body, []byte(`"title":"`), []byte(`"title":"EDITED `), 1)
		_, err = b.Write(ctx, &store.Object{Key: key, Body: body})
		fmt.Println("edited", err)
	case "delete":
		fmt.Println("deleted", b.Delete(ctx, key))
	case "restore":
		body, _ := os.ReadFile(saved)
		_, err = b.Write(ctx, &store.Object{Key: key, Body: body})
		fmt.Println("restored", err)
	}
}
