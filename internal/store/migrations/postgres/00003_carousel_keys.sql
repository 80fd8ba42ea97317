-- +goose Up
-- A shop's row keeps its carousel's keys: the ids and positions of its
-- purchasable featured products (availability neither OUT_OF_STOCK nor
-- DISCONTINUED), in position order, as "id:position" pairs joined by commas
-- ('' for none). A carousel asked only for its products' ids or __typename
-- (Hive Gateway's first request of a timeline) is then served by the
-- statement that reads the shops, with no statement of its own
-- (store.ShopsByOwnerIDs, loaders.FeaturedProducts). On PostgreSQL that is
-- a round trip less.
--
-- The database keeps it, not the code that writes: a trigger on every change
-- that can change a carousel (a featured row added, removed or moved, by any
-- write or by a cascade; a featured product becoming purchasable or not)
-- sets it again from carousel_keys, in the same transaction as the change.
-- store's TestCarouselKeysKept checks it against the carousel's statement
-- after random writes, on both databases.
ALTER TABLE shops ADD COLUMN featured_keys TEXT NOT NULL DEFAULT '';

CREATE VIEW carousel_keys AS
    SELECT f.shop_id, string_agg(p.id::text || ':' || f.position::text, ',' ORDER BY f.position) AS featured_keys
    FROM featured_products f JOIN products p ON p.id = f.product_id
    WHERE p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')
    GROUP BY f.shop_id;

UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shops.id), '');

-- refresh_carousel_keys sets a shop's featured_keys from carousel_keys. It
-- locks the shop's row first, then reads the carousel in a statement of its
-- own, which under READ COMMITTED sees every transaction that changed the
-- carousel and committed while it waited: two transactions changing one
-- carousel at once cannot leave the keys of either one's snapshot. (The
-- merchants' writes and the import lock the shop first already, with the
-- same lock; for them it costs nothing. It is the lock an update of a column
-- that is no key takes, so it does not wait for, or hold up, the inserts that
-- only reference the shop: engagement counters, products.)
-- +goose StatementBegin
CREATE FUNCTION refresh_carousel_keys(shop BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM shops WHERE id = shop FOR NO KEY UPDATE;
    UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shop), '')
        WHERE id = shop;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION carousel_keys_featured_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM refresh_carousel_keys(OLD.shop_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.shop_id <> OLD.shop_id) THEN
        PERFORM refresh_carousel_keys(NEW.shop_id);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION carousel_keys_availability_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM featured_products f WHERE f.shop_id = NEW.shop_id AND f.product_id = NEW.id) THEN
        PERFORM refresh_carousel_keys(NEW.shop_id);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER carousel_keys_featured AFTER INSERT OR UPDATE OR DELETE ON featured_products
    FOR EACH ROW EXECUTE FUNCTION carousel_keys_featured_changed();

CREATE TRIGGER carousel_keys_availability AFTER UPDATE OF availability ON products
    FOR EACH ROW
    WHEN ((OLD.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')) IS DISTINCT FROM (NEW.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')))
    EXECUTE FUNCTION carousel_keys_availability_changed();

-- +goose Down
DROP TRIGGER carousel_keys_availability ON products;
DROP TRIGGER carousel_keys_featured ON featured_products;
DROP FUNCTION carousel_keys_availability_changed();
DROP FUNCTION carousel_keys_featured_changed();
DROP FUNCTION refresh_carousel_keys(BIGINT);
DROP VIEW carousel_keys;
ALTER TABLE shops DROP COLUMN featured_keys;
