package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ensureSchema creates the schema the store works in when the
// connection's search_path names one that does not exist yet, as
// ?search_path=mfad on a fresh database does: without it, the first
// CREATE TABLE fails with "no schema has been selected to create in".
func (db *DB) ensureSchema(ctx context.Context) error {
	var current *string
	var path string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&current, &path); err != nil {
		return err
	}
	if current != nil {
		return nil // the first schema of the path that exists: the store works there
	}
	name := firstSchema(path)
	if name == "" {
		return fmt.Errorf("search_path %q names no schema to create: add ?search_path=NAME to the URL", path)
	}
	var err error
	for range 5 { // two processes creating it at once: the loser retries and finds it
		_, err = db.pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize())
		if !isCode(err, "23505", "42P06") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("creating schema %q of the search_path: %w", name, err)
	}
	return nil
}

// firstSchema returns the first schema named in a search_path setting
// (`mfad`, `"My Schema", public`), skipping "$user"; "" if none.
func firstSchema(path string) string {
	for _, item := range splitPath(path) {
		if item != "" && item != "$user" {
			return item
		}
	}
	return ""
}

// splitPath splits a search_path at the commas outside double quotes and
// unquotes each item ("" inside quotes is one ").
func splitPath(path string) []string {
	var items []string
	var b strings.Builder
	quoted, wasQuoted := false, false
	flush := func() {
		s := b.String()
		if !wasQuoted {
			s = strings.TrimSpace(s)
		}
		items = append(items, s)
		b.Reset()
		wasQuoted = false
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '"' && quoted && i+1 < len(path) && path[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			quoted, wasQuoted = !quoted, true
		case c == ',' && !quoted:
			flush()
		case (c == ' ' || c == '\t') && !quoted && wasQuoted:
			// spaces after a closing quote
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return items
}
