// Package store holds all of the Shop subgraph's SQL: the entity rows, the
// sentinel errors callers translate, and the embedded migrations. It imports no
// other package of the project.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

//go:embed migrations
var migrations embed.FS

// Observer is told about every statement the store runs, under a stable name,
// so metrics can count statements per request and their latency.
type Observer interface {
	ObserveQuery(ctx context.Context, name string, d time.Duration, err error)
}

// DatabaseObserver is an Observer that is also told which database ran
// each statement: primary, or a replica's name (WithReplicas).
type DatabaseObserver interface {
	ObserveQueryOn(ctx context.Context, database, name string, d time.Duration, rows int, err error)
}

type nopObserver struct{}

func (nopObserver) ObserveQuery(context.Context, string, time.Duration, error) {}

// Store is the database. Reads go through a pool; writes go through a single
// connection on SQLite so writers queue in Go instead of failing with
// "database is locked".
type Store struct {
	read    *sqlx.DB
	write   *sqlx.DB
	dialect string
	obs     Observer

	// Read replicas (replicas.go), PostgreSQL only.
	replicaDSNs []string
	replicas    []*replica
	next        atomic.Uint64 // turns among the replicas
	maxLag      time.Duration
	checkEvery  time.Duration
	samples     []lsnSample // the primary's recent WAL positions; the checker's alone
	stopChecks  context.CancelFunc
	checksDone  chan struct{}
}

// Option configures a Store.
type Option func(*Store)

// WithObserver reports every statement to o.
func WithObserver(o Observer) Option {
	return func(s *Store) { s.obs = o }
}

// Dialects, which are also the names of the migrations' folders.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// System names the database system of dsn as OpenTelemetry's
// db.system.name does: "postgresql" or "sqlite".
func System(dsn string) string {
	if IsPostgres(dsn) {
		return "postgresql"
	}
	return "sqlite"
}

// OpenMigrated opens the database at dsn and brings its schema up to date,
// as every command does before it reads or writes.
func OpenMigrated(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	st, err := Open(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Open opens the database at dsn: a postgres:// URL (driver "pgx", from
// github.com/jackc/pgx/v5/stdlib), or else a SQLite file name or file: URI
// (driver "sqlite3"). The caller imports the driver. It does not migrate;
// call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{obs: nopObserver{}, maxLag: DefaultReplicaMaxLag, checkEvery: DefaultReplicaCheckInterval}
	for _, o := range opts {
		o(s)
	}
	if len(s.replicaDSNs) > 0 && !IsPostgres(dsn) {
		return nil, errors.New("read replicas need a PostgreSQL primary")
	}
	if s.maxLag <= 0 || s.checkEvery <= 0 {
		return nil, errors.New("a replica's maximum lag and check interval must be positive")
	}
	var err error
	if IsPostgres(dsn) {
		// PostgreSQL runs concurrent transactions itself: one pool serves
		// reads and writes.
		s.dialect = dialectPostgres
		if s.read, err = sqlx.Open("pgx", dsn); err != nil {
			return nil, fmt.Errorf("open database %s: %w", redact(dsn), err)
		}
		s.read.SetMaxOpenConns(16)
		s.read.SetMaxIdleConns(16)
		s.read.SetConnMaxIdleTime(5 * time.Minute)
		s.write = s.read
	} else {
		s.dialect = dialectSQLite
		rdsn, wdsn := sqliteDSNs(dsn)
		if s.write, err = sqlx.Open("sqlite3", wdsn); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		// One writer: SQLite serialises writes anyway, and a single
		// connection makes writers wait their turn in database/sql rather
		// than in SQLite's busy handler.
		s.write.SetMaxOpenConns(1)
		if s.read, err = sqlx.Open("sqlite3", rdsn); err != nil {
			s.write.Close()
			return nil, fmt.Errorf("open database: %w", err)
		}
		s.read.SetMaxOpenConns(8)
		s.read.SetMaxIdleConns(8)
		s.read.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if len(s.replicaDSNs) > 0 {
		if err := s.openReplicas(); err != nil {
			s.Close()
			return nil, err
		}
		// A first check now, so that replicas that are well serve from
		// the first request; then one every checkEvery until Close.
		s.checkOnce(ctx)
		cctx, cancel := context.WithCancel(context.Background())
		s.stopChecks, s.checksDone = cancel, make(chan struct{})
		go func() {
			defer close(s.checksDone)
			s.checkReplicas(cctx)
		}()
	}
	return s, nil
}

// sqliteDSNs returns the read and write DSNs for a SQLite file. The pragmas are
// in the DSN so that every pooled connection gets them, not just the first.
func sqliteDSNs(dsn string) (read, write string) {
	path, query, _ := strings.Cut(dsn, "?")
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	q, _ := url.ParseQuery(query)
	set := func(k, v string) {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	set("_journal_mode", "WAL")
	set("_busy_timeout", "10000")
	set("_foreign_keys", "on")
	set("_synchronous", "NORMAL")
	// Each connection keeps its last 64 prepared statements: the same few
	// reads run on every request (about 2 % of a timeline, PERFORMANCE.md).
	set("_stmt_cache_size", "64")
	// SQLite's multi-thread mode: no mutex taken on every sqlite3_column_*
	// call (10 % of the instructions of the timeline's featured statement,
	// PERFORMANCE.md). Safe because database/sql hands a connection to one
	// goroutine at a time and locks it around every driver call.
	set("_mutex", "no")
	// Writers take the write lock when they begin, so two transactions never
	// both read and then fail to upgrade (SQLITE_BUSY without waiting).
	w := cloneValues(q)
	w.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), path + "?" + w.Encode()
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "database"
	}
	return u.Redacted()
}

// Migrate brings the schema up to date with the embedded migrations.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// migrations returns the goose provider of the dialect's migrations, run on
// the write pool.
func (s *Store) migrations() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == dialectPostgres {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, s.write.DB, sub)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Pools returns the connection pools by name ("read" and "write" on SQLite,
// "main" on PostgreSQL, and each replica's, "replica1"…), for their
// statistics.
func (s *Store) Pools() map[string]*sql.DB {
	pools := map[string]*sql.DB{"read": s.read.DB, "write": s.write.DB}
	if s.write == s.read {
		pools = map[string]*sql.DB{"main": s.read.DB}
	}
	for _, r := range s.replicas {
		pools[r.name] = r.db.DB
	}
	return pools
}

// Close stops the replica checks and closes the pools.
func (s *Store) Close() error {
	if s.stopChecks != nil {
		s.stopChecks()
		<-s.checksDone
	}
	var errs []error
	for _, r := range s.replicas {
		errs = append(errs, r.db.Close())
	}
	if s.write == s.read {
		return errors.Join(append(errs, s.read.Close())...)
	}
	return errors.Join(append(errs, s.read.Close(), s.write.Close())...)
}

// observe times one statement on the primary and reports it under name.
func (s *Store) observe(ctx context.Context, name string, start time.Time, err error) {
	s.observeOn(ctx, nil, name, start, -1, err)
}

// observeOn times one statement on r's database (nil: the primary) and
// reports it under name.
func (s *Store) observeOn(ctx context.Context, r *replica, name string, start time.Time, rows int, err error) {
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if o, ok := s.obs.(DatabaseObserver); ok {
		o.ObserveQueryOn(ctx, dbName(r), name, time.Since(start), rows, err)
		return
	}
	s.obs.ObserveQuery(ctx, name, time.Since(start), err)
}

// selectRead runs a read statement into dest, counted under name.
func (s *Store) selectRead(ctx context.Context, name string, dest any, q string, args ...any) error {
	q = s.read.Rebind(q)
	return s.retryRead(ctx, name, func(db sqlx.QueryerContext, retry bool) (int, error) {
		v := reflect.ValueOf(dest).Elem()
		if retry {
			// sqlx appends to the slice: drop what the failed attempt read.
			v.Set(reflect.Zero(v.Type()))
		}
		if err := sqlx.SelectContext(ctx, db, dest, q, args...); err != nil {
			// Rows sqlx read before failing were not handed to anyone.
			return 0, err
		}
		return v.Len(), nil
	})
}

// getRead runs a single-row read statement into dest, counted under name.
func (s *Store) getRead(ctx context.Context, name string, dest any, q string, args ...any) error {
	q = s.read.Rebind(q)
	return s.retryRead(ctx, name, func(db sqlx.QueryerContext, _ bool) (int, error) {
		if err := sqlx.GetContext(ctx, db, dest, q, args...); err != nil {
			return 0, err
		}
		return 1, nil
	})
}

// retryRead runs a read statement by attempt on the read pool, counted under
// name, and once more, on a connection that answers, when it failed because
// its connection was broken: PostgreSQL ended it (a restart, a failover,
// pg_terminate_backend) while it sat in the pool, and database/sql, which
// retries only driver.ErrBadConn, which pgx returns only when it knows
// before sending, would fail one request for each such connection. A read
// changes nothing, so running it again is safe; writes never come here. A
// statement's own error (bad SQL, a constraint) is not retried. Each attempt
// is observed: the failed one as an error, then the retry. attempt reports
// whether rows already reached the caller, which makes a retry unsafe.
//
// With replicas, the first attempt goes where db sends ctx's reads; when it
// fails on a replica, whatever the error (a replica may also cancel a read
// that conflicts with the recovery it replays), the read runs again on the
// primary, and a replica it could not reach is left out of the read path
// until its next check: a replica that stops loses no request.
func (s *Store) retryRead(ctx context.Context, name string, attempt func(db sqlx.QueryerContext, retry bool) (rows int, err error)) error {
	db, rep := s.db(ctx)
	start := time.Now()
	rows, err := attempt(db, false)
	s.observeOn(ctx, rep, name, start, rows, err)
	if err == nil || rows > 0 || ctx.Err() != nil {
		return err
	}
	if rep != nil {
		if unreachable(err) {
			s.leaveOut(rep, err)
		}
		start = time.Now()
		rows, err = attempt(s.read, true)
		s.observeOn(ctx, nil, name, start, rows, err)
		if err == nil || ctx.Err() != nil || !brokenConn(err) {
			return err
		}
	} else if !brokenConn(err) {
		return err
	}
	start = time.Now()
	conn, err := s.liveConn(ctx)
	rows = 0
	if err == nil {
		defer conn.Close()
		rows, err = attempt(conn, true)
	}
	s.observeOn(ctx, nil, name, start, rows, err)
	return err
}

// liveConn returns a connection of the read pool that answers a ping. After
// a restart every pooled connection may be dead; each one that fails its
// ping is dropped from the pool (pgx reports it as driver.ErrBadConn), and
// at worst a new one is opened.
func (s *Store) liveConn(ctx context.Context) (*sqlx.Conn, error) {
	var err error
	for range s.read.Stats().OpenConnections + 1 {
		var conn *sqlx.Conn
		if conn, err = s.read.Connx(ctx); err != nil {
			return nil, err
		}
		if err = conn.PingContext(ctx); err == nil {
			return conn, nil
		}
		conn.Close()
	}
	return nil, fmt.Errorf("no connection answers: %w", err)
}

// brokenConn reports whether err says the statement's connection was
// broken, rather than that the statement failed: pgx's errors that are safe
// to retry (nothing was sent), SQLSTATE classes 08 (connection exception)
// and 57P (the server shut down, crashed, is starting, or ended the
// session), and an end of file, reset or closed connection underneath.
// PostgreSQL's errors are matched by method, so that the store needs no
// PostgreSQL driver to build.
func brokenConn(err error) bool {
	var safe interface{ SafeToRetry() bool }
	if errors.As(err, &safe) && safe.SafeToRetry() {
		return true
	}
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		code := pe.SQLState()
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// in expands a query's lists, each written "IN (?)" with a slice for its
// argument: on SQLite into one parameter per value (sqlx.In); on
// PostgreSQL into one array parameter, "= ANY(?)", so that the statement's
// text is the same for every length and pgx prepares it once per
// connection rather than PostgreSQL planning each call afresh
// (PERFORMANCE.md). The result still needs Rebind.
func (s *Store) in(q string, args ...any) (string, []any, error) {
	if s.dialect == dialectPostgres {
		return strings.ReplaceAll(q, " IN (?)", " = ANY(?)"), args, nil
	}
	return sqlx.In(q, args...)
}
