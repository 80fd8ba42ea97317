-- +goose Up
-- A shop's row keeps its carousel's keys: the ids and positions of its
-- purchasable featured products (availability neither OUT_OF_STOCK nor
-- DISCONTINUED), in position order, as "id:position" pairs joined by commas
-- ('' for none). A carousel asked only for its products' ids or __typename
-- (Hive Gateway's first request of a timeline) is then served by the
-- statement that reads the shops, with no statement of its own
-- (store.ShopsByOwnerIDs, loaders.FeaturedProducts).
--
-- The database keeps it, not the code that writes: a trigger on every change
-- that can change a carousel (a featured row added, removed or moved, by any
-- write or by a cascade; a featured product becoming purchasable or not)
-- sets it again from carousel_keys, in the same transaction as the change.
-- store's TestCarouselKeysKept checks it against the carousel's statement
-- after random writes, on both databases.
ALTER TABLE shops ADD COLUMN featured_keys TEXT NOT NULL DEFAULT '';

CREATE VIEW carousel_keys AS
    SELECT f.shop_id, group_concat(p.id || ':' || f.position, ',' ORDER BY f.position) AS featured_keys
    FROM featured_products f JOIN products p ON p.id = f.product_id
    WHERE p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')
    GROUP BY f.shop_id;

UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shops.id), '');

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_insert AFTER INSERT ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = NEW.shop_id), '')
        WHERE id = NEW.shop_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_delete AFTER DELETE ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = OLD.shop_id), '')
        WHERE id = OLD.shop_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_featured_update AFTER UPDATE ON featured_products BEGIN
    UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shops.id), '')
        WHERE id IN (OLD.shop_id, NEW.shop_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER carousel_keys_availability AFTER UPDATE OF availability ON products
    WHEN (OLD.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')) IS NOT (NEW.availability IN ('OUT_OF_STOCK', 'DISCONTINUED'))
        AND EXISTS (SELECT 1 FROM featured_products f WHERE f.shop_id = NEW.shop_id AND f.product_id = NEW.id)
BEGIN
    UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = NEW.shop_id), '')
        WHERE id = NEW.shop_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER carousel_keys_availability;
DROP TRIGGER carousel_keys_featured_update;
DROP TRIGGER carousel_keys_featured_delete;
DROP TRIGGER carousel_keys_featured_insert;
DROP VIEW carousel_keys;
ALTER TABLE shops DROP COLUMN featured_keys;
