package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// Read replicas (PostgreSQL streaming replicas). The read path (entities,
// carousels, catalogue pages, Query.shop and Query.shops) reads from a
// replica that is up and close enough behind the primary, in turn; writes,
// and every read of a request marked with WithPrimary (a merchant's own
// reads: mutation payloads, myShop, the owner's preview, insights), read the
// primary, so that a merchant always sees their own write. A background
// check decides which replicas are in; a read that fails on a replica
// because it cannot reach it is run again on the primary, and the replica
// is left out until a check finds it well again.

// Replica checks' defaults, overridden by WithReplicaChecks.
const (
	DefaultReplicaMaxLag        = 5 * time.Second
	DefaultReplicaCheckInterval = time.Second
)

// WithReplicas reads the read path from these PostgreSQL replicas of the
// primary, named replica1, replica2… in metrics and in Health.
func WithReplicas(dsns ...string) Option {
	return func(s *Store) { s.replicaDSNs = append(s.replicaDSNs, dsns...) }
}

// WithReplicaChecks sets how far behind the primary a replica may be and
// still serve reads, and how often each replica is checked.
func WithReplicaChecks(maxLag, interval time.Duration) Option {
	return func(s *Store) { s.maxLag, s.checkEvery = maxLag, interval }
}

// ReplicaObserver is an Observer that is also told each replica check's
// outcome, for metrics.
type ReplicaObserver interface {
	ObserveReplica(database string, in bool, lag time.Duration)
}

type primaryKey struct{}

// WithPrimary marks ctx so that every read made with it reads the primary:
// the request acts for a merchant, who must see their own writes at once.
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// replica is one read replica and what its last check found.
type replica struct {
	name string
	db   *sqlx.DB

	mu      sync.Mutex
	in      bool
	lag     time.Duration // at most this far behind the primary, at the last check
	lastErr string
}

func (r *replica) set(in bool, lag time.Duration, err string) {
	r.mu.Lock()
	r.in, r.lag, r.lastErr = in, lag, err
	r.mu.Unlock()
}

func (r *replica) isIn() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.in
}

// openReplicas opens a pool for each replica DSN. They start out: the first
// check, run before Open returns, lets in those that are well.
func (s *Store) openReplicas() error {
	for i, dsn := range s.replicaDSNs {
		if !IsPostgres(dsn) {
			return fmt.Errorf("replica %d: read replicas must be postgres:// URLs", i+1)
		}
		db, err := sqlx.Open("pgx", dsn)
		if err != nil {
			return fmt.Errorf("open replica %d %s: %w", i+1, redact(dsn), err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.replicas = append(s.replicas, &replica{name: "replica" + strconv.Itoa(i+1), db: db, lastErr: "not checked yet"})
	}
	return nil
}

// db is where a read made with ctx goes: a replica that is in, in turn, or
// the primary's pool, with the database's name.
func (s *Store) db(ctx context.Context) (*sqlx.DB, *replica) {
	if len(s.replicas) == 0 || ctx.Value(primaryKey{}) != nil {
		return s.read, nil
	}
	n := uint64(len(s.replicas))
	start := s.next.Add(1)
	for i := range n {
		if r := s.replicas[(start+i)%n]; r.isIn() {
			return r.db, r
		}
	}
	return s.read, nil
}

// dbName is the name of r's database in metrics: a replica's, or primary.
func dbName(r *replica) string {
	if r == nil {
		return "primary"
	}
	return r.name
}

// leaveOut takes r out of the read path after a read could not reach it,
// until the next check finds it well.
func (s *Store) leaveOut(r *replica, err error) {
	r.mu.Lock()
	r.in, r.lastErr = false, err.Error()
	lag := r.lag
	r.mu.Unlock()
	if o, ok := s.obs.(ReplicaObserver); ok {
		o.ObserveReplica(r.name, false, lag)
	}
}

// unreachable reports whether err says the database could not be reached or
// the connection broke (rather than that the statement failed).
func unreachable(err error) bool {
	var ne net.Error
	return brokenConn(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &ne)
}

// lsnSample is the primary's WAL position at a moment.
type lsnSample struct {
	lsn uint64
	at  time.Time
}

// checkReplicas checks every replica now and then until ctx ends.
func (s *Store) checkReplicas(ctx context.Context) {
	t := time.NewTicker(s.checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.checkOnce(ctx)
		}
	}
}

// checkOnce reads the primary's WAL position, then each replica's replayed
// position. A replica has replayed everything the primary had written at
// the latest sample whose position it has reached: it is at most now minus
// that sample's time behind. Comparing positions, rather than reading
// pg_last_xact_replay_timestamp(), also holds when the primary is idle
// (nothing to replay is not lag) and when the replica's stream broke (its
// position stops while the primary's goes on). A replica that does not
// answer, is not in recovery, or is behind by more than the bound is out.
func (s *Store) checkOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(s.checkEvery, time.Second))
	defer cancel()
	now := time.Now()
	var primaryLSN string
	if err := s.read.GetContext(ctx, &primaryLSN, `SELECT pg_current_wal_lsn()::text`); err == nil {
		if lsn, ok := parseLSN(primaryLSN); ok {
			s.samples = append(s.samples, lsnSample{lsn: lsn, at: now})
			// Enough samples to tell lags up to twice the bound.
			keep := int(2*s.maxLag/s.checkEvery) + 2
			if len(s.samples) > keep {
				s.samples = append(s.samples[:0], s.samples[len(s.samples)-keep:]...)
			}
		}
	}
	// Without a sample (the primary does not answer) replicas keep their
	// state: they may be all that serves reads.
	if len(s.samples) == 0 {
		return
	}
	for _, r := range s.replicas {
		in, lag, msg := s.checkReplica(ctx, r, now)
		r.set(in, lag, msg)
		if o, ok := s.obs.(ReplicaObserver); ok {
			o.ObserveReplica(r.name, in, lag)
		}
	}
}

func (s *Store) checkReplica(ctx context.Context, r *replica, now time.Time) (in bool, lag time.Duration, msg string) {
	var replayed *string
	if err := r.db.GetContext(ctx, &replayed, `SELECT pg_last_wal_replay_lsn()::text`); err != nil {
		return false, 0, err.Error()
	}
	if replayed == nil {
		return false, 0, "not a standby (not in recovery)"
	}
	lsn, ok := parseLSN(*replayed)
	if !ok {
		return false, 0, fmt.Sprintf("unreadable replay position %q", *replayed)
	}
	lag = now.Sub(s.samples[0].at) + s.checkEvery // behind every sample kept: at least this
	for i := len(s.samples) - 1; i >= 0; i-- {
		if s.samples[i].lsn <= lsn {
			lag = now.Sub(s.samples[i].at)
			break
		}
	}
	if lag > s.maxLag {
		return false, lag, fmt.Sprintf("%s behind the primary, more than %s", lag.Round(time.Millisecond), s.maxLag)
	}
	return true, lag, ""
}

// parseLSN reads a pg_lsn's text form, two hexadecimal halves "16/B374D848".
func parseLSN(s string) (uint64, bool) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return h<<32 | l, true
}

// DBStatus is what Health says about one database.
type DBStatus struct {
	Name string // primary, replica1…
	// Up: the primary answered a ping; a replica is in the read path.
	Up  bool
	Lag time.Duration // a replica's, at its last check
	// Err says why it is down or out.
	Err string
}

// Health pings the primary and reports it, then each replica as its last
// check (or a failed read since) left it.
func (s *Store) Health(ctx context.Context) []DBStatus {
	out := []DBStatus{{Name: "primary", Up: true}}
	if err := s.Ping(ctx); err != nil {
		out[0].Up, out[0].Err = false, err.Error()
	}
	for _, r := range s.replicas {
		r.mu.Lock()
		out = append(out, DBStatus{Name: r.name, Up: r.in, Lag: r.lag, Err: r.lastErr})
		r.mu.Unlock()
	}
	return out
}
