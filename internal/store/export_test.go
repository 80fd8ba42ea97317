package store

import (
	"context"
	"fmt"
)

// MigrateTo applies the migrations up to version only, as an earlier
// release of the service left the database.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// SelectRead is selectRead, for tests of the read path with statements of
// their own.
func (s *Store) SelectRead(ctx context.Context, name string, dest any, q string, args ...any) error {
	return s.selectRead(ctx, name, dest, q, args...)
}
