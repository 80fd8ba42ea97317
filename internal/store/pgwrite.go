package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
)

// pgTx is a write transaction on PostgreSQL, run through pgx's own API on
// one of the pool's connections. Its BEGIN goes to the server in the same
// round trip as its first statement (pgx.Batch.BeginTx): through
// database/sql, BeginTx is a round trip of its own, before the first
// statement can be sent, and a goroutine a transaction that watches the
// context. The first statement of a merchant's write is the one that locks
// its shop, so the round trip saved is one before the lock, which only
// costs CPU (PERFORMANCE.md, writes). The statements are the same texts,
// prepared once per connection by the same pgx statement cache, and their
// rows are mapped to structs by sqlx as through database/sql.
type pgTx struct {
	s    *Store // reports BEGIN
	conn *pgx.Conn
	tx   pgx.Tx // nil until the first statement has begun the transaction
}

// writePostgres is Write on PostgreSQL.
func (s *Store) writePostgres(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer conn.Close()
	// A connection given back inside a transaction (a rollback that
	// failed, a panic in fn) is closed by database/sql: pgx's ResetSession
	// refuses it, and Raw drops it after a panic.
	return conn.Raw(func(dc any) error {
		c, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("begin write: the driver's connection (%T) is not pgx's", dc)
		}
		tx := &Tx{s: s, pg: &pgTx{s: s, conn: c.Conn()}, now: txNow()}
		defer tx.pg.rollback(ctx)
		if err := fn(tx); err != nil {
			return err
		}
		if tx.pg.tx == nil {
			return nil // no statement: nothing began
		}
		start := time.Now()
		err := tx.pg.tx.Commit(ctx)
		s.observe(ctx, "commit", start, err)
		if err != nil {
			return fmt.Errorf("commit write: %w", mapWriteErr(err))
		}
		return nil
	})
}

// rollback rolls back what the transaction has not committed.
func (t *pgTx) rollback(ctx context.Context) {
	if t.tx != nil {
		// After Commit, ErrTxClosed. A rollback that fails closes the
		// connection (pgx), which the pool then drops.
		t.tx.Rollback(ctx)
	}
}

// query runs q, beginning the transaction with it when it is the first
// statement, hands its rows to read, if any, and returns its command tag.
func (t *pgTx) query(ctx context.Context, q string, args []any, read func(pgx.Rows) error) (pgconn.CommandTag, error) {
	if t.tx != nil {
		rows, err := t.tx.Query(ctx, q, args...)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		return readRows(rows, read)
	}
	var b pgx.Batch
	b.BeginTx(pgx.TxOptions{})
	b.Queue(q, args...)
	start := time.Now()
	br := t.conn.SendBatch(ctx, &b)
	t.tx = br.Tx()
	tag, err := func() (pgconn.CommandTag, error) {
		// BEGIN is a statement, reported as on SQLite, though it costs no
		// round trip of its own: its answer comes in the first statement's.
		_, err := br.Exec()
		t.s.observe(ctx, "begin", start, err)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		rows, err := br.Query()
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		return readRows(rows, read)
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func readRows(rows pgx.Rows, read func(pgx.Rows) error) (pgconn.CommandTag, error) {
	defer rows.Close()
	if read != nil {
		if err := read(rows); err != nil {
			return pgconn.CommandTag{}, err
		}
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

// selectInto returns a reader of rows into dest, a pointer to a slice, as
// sqlx's Select reads them: a struct's fields by their db tags, anything
// else as the one column.
func selectInto(dest any) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		slice := reflect.ValueOf(dest).Elem()
		elem := slice.Type().Elem()
		if elem.Kind() == reflect.Struct {
			return sqlx.StructScan(sqlxRows{rows}, dest)
		}
		for rows.Next() {
			v := reflect.New(elem)
			if err := rows.Scan(v.Interface()); err != nil {
				return err
			}
			slice.Set(reflect.Append(slice, v.Elem()))
		}
		return rows.Err()
	}
}

// getInto returns a reader of one row into dest, a pointer, as sqlx's Get
// reads it; no row is sql.ErrNoRows.
func getInto(dest any) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		all := reflect.New(reflect.SliceOf(reflect.TypeOf(dest).Elem()))
		if err := selectInto(all.Interface())(rows); err != nil {
			return err
		}
		if all.Elem().Len() == 0 {
			return sql.ErrNoRows
		}
		reflect.ValueOf(dest).Elem().Set(all.Elem().Index(0))
		return nil
	}
}

// sqlxRows is pgx's rows as sqlx's StructScan reads them.
type sqlxRows struct{ pgx.Rows }

func (r sqlxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}

func (r sqlxRows) Columns() ([]string, error) {
	fields := r.FieldDescriptions()
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names, nil
}

// pgResult is a statement's command tag as database/sql's Result.
type pgResult pgconn.CommandTag

func (r pgResult) LastInsertId() (int64, error) {
	return 0, errors.New("LastInsertId is not supported by PostgreSQL")
}

func (r pgResult) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }
