// Command stoa-db runs FerretDB with its SQLite backend as Stoa's embedded,
// MongoDB-wire-compatible database.
//
// It prints one line, "ready <mongodb uri>", once it accepts connections, and
// stops on SIGINT or SIGTERM. With -watch-stdin it also stops when its standard
// input closes, so it never outlives the Node.js process that started it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (port 0 picks a free one)")
	dataDir := flag.String("data-dir", "data/db", "directory for the SQLite files")
	watchStdin := flag.Bool("watch-stdin", false, "exit when standard input closes")
	logLevel := flag.String("log-level", "error", "FerretDB log level: debug, info, warn or error")
	flag.Parse()

	if err := run(*listen, *dataDir, *watchStdin, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "stoa-db:", err)
		os.Exit(1)
	}
}

func run(listen, dataDir string, watchStdin bool, logLevel string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level %q", logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan error, 1)
	go func() { done <- db.Run(ctx) }()

	// The listener is bound inside ferretdb.New, so the address is final here.
	fmt.Printf("ready %s\n", db.MongoDBURI())

	return <-done
}
