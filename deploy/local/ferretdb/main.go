// Command ferretdb-local runs FerretDB v1 (MongoDB wire protocol, SQLite storage)
// on loopback for development and CI. It embeds FerretDB's library because the
// upstream v1.24 binary built with `go install` panics at start (FerretDB #2982).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", ".local/ferretdb", "directory for the SQLite databases")
	flag.Parse()

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatalf("ferretdb-local: bad data directory %q: %v", *dataDir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatalf("ferretdb-local: cannot create %s: %v", dir, err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  "sqlite",
		// Immediate transactions take the write lock up front, so concurrent writers wait (busy_timeout)
		// instead of failing with SQLITE_BUSY when a read transaction tries to upgrade. In WAL mode
		// (FerretDB's default) synchronous=normal syncs at checkpoints instead of at every commit: a
		// crash of the process loses nothing, a power cut may lose the last commits (a local stack).
		SQLiteURL: "file:" + dir + "/?_txlock=immediate&_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatalf("ferretdb-local: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "ferretdb-local: listening on %s, data in %s\n", *listen, dir)
	go indexUpdatePaths(ctx, dir, time.Second)
	f.Run(ctx)
}
