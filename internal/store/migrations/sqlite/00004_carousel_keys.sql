-- +goose Up
-- A shop's row keeps its carousel's keys: the ids and positions of its
-- purchasable featured products (availability neither OUT_OF_STOCK nor
-- DISCONTINUED), as "id:position" pairs joined by commas, in any order
-- ('' for none; store.CarouselKeys orders them). A carousel asked only for
-- its products' ids or __typename (Hive Gateway's first request of a
-- timeline) is then served by the statement that reads the shops, with no
-- statement of its own (store.Shop.Carousel, loaders.FeaturedProducts).
--
-- The database keeps it, not the code that writes: a trigger on every change
-- that can change a carousel (a featured row added, removed or moved, by any
-- write or by a cascade; a featured product becoming purchasable or not)
-- sets it again, in the same transaction as the change. store's
-- TestCarouselKeysKept checks it against the carousel's statement after
-- random writes, on both databases.
--
-- Each trigger spells out the same statement, for the shops it names:
-- SQLite has no functions, and through a view grouped by shop it scanned
-- every featured row (a merchant's new carousel cost 0.4 ms more, against
-- 0.1 ms so); the subquery reads one shop's rows by the index on shop_id.
-- Without an ORDER BY the aggregate needs no sort; the reader orders the
-- pairs.
ALTER TABLE shops ADD COLUMN featured_keys TEXT NOT NULL DEFAULT '';

UPDATE shops SET featured_keys = COALESCE((
        SELECT group_concat(p.id || ':' || f.position, ',')
        FROM featured_products f JOIN products p ON p.id = f.product_id
        WHERE f.shop_id = shops.id AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')), '');

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_insert AFTER INSERT ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((
        SELECT group_concat(p.id || ':' || f.position, ',')
        FROM featured_products f JOIN products p ON p.id = f.product_id
        WHERE f.shop_id = shops.id AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')), '')
        WHERE id = NEW.shop_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_delete AFTER DELETE ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((
        SELECT group_concat(p.id || ':' || f.position, ',')
        FROM featured_products f JOIN products p ON p.id = f.product_id
        WHERE f.shop_id = shops.id AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')), '')
        WHERE id = OLD.shop_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_update AFTER UPDATE ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((
        SELECT group_concat(p.id || ':' || f.position, ',')
        FROM featured_products f JOIN products p ON p.id = f.product_id
        WHERE f.shop_id = shops.id AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')), '')
        WHERE id IN (OLD.shop_id, NEW.shop_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_availability AFTER UPDATE OF availability ON products
    WHEN (OLD.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')) IS NOT (NEW.availability IN ('OUT_OF_STOCK', 'DISCONTINUED'))
        AND EXISTS (SELECT 1 FROM featured_products f WHERE f.shop_id = NEW.shop_id AND f.product_id = NEW.id)
BEGIN
    UPDATE shops SET featured_keys = COALESCE((
        SELECT group_concat(p.id || ':' || f.position, ',')
        FROM featured_products f JOIN products p ON p.id = f.product_id
        WHERE f.shop_id = shops.id AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')), '')
        WHERE id = NEW.shop_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER carousel_keys_availability;
DROP TRIGGER carousel_keys_featured_update;
DROP TRIGGER carousel_keys_featured_delete;
DROP TRIGGER carousel_keys_featured_insert;
ALTER TABLE shops DROP COLUMN featured_keys;
