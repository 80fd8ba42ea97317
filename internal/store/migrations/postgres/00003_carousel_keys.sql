-- +goose Up
-- A shop's row keeps its carousel's keys: the ids and positions of its
-- purchasable featured products (availability neither OUT_OF_STOCK nor
-- DISCONTINUED), as "id:position" pairs joined by commas, in any order ('' for
-- none; store.CarouselKeys orders them). A carousel asked only for its
-- products' ids or __typename (Hive Gateway's first request of a timeline) is
-- then served by the statement that reads the shops, with no statement of its
-- own (store.Shop.Carousel, loaders.FeaturedProducts). On PostgreSQL that is
-- a round trip less.
--
-- The database keeps it, not the code that writes: a trigger on every change
-- that can change a carousel (a featured row added, removed or moved, by any
-- write or by a cascade; a featured product becoming purchasable or not)
-- sets it again from carousel_keys (whose WHERE on shop_id the planner
-- pushes into the grouping), in the same transaction as the change.
-- store's TestCarouselKeysKept checks it against the carousel's statement
-- after random writes, on both databases.
ALTER TABLE shops ADD COLUMN featured_keys TEXT NOT NULL DEFAULT '';

CREATE VIEW carousel_keys AS
    SELECT f.shop_id, string_agg(p.id::text || ':' || f.position::text, ',') AS featured_keys
    FROM featured_products f JOIN products p ON p.id = f.product_id
    WHERE p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')
    GROUP BY f.shop_id;

UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shops.id), '');

-- refresh_carousel_keys sets the featured_keys of the given shops, in the
-- order given, from carousel_keys. For each shop it locks the shop's row
-- first, then reads the carousel in a statement of its own, which under READ
-- COMMITTED sees every transaction that changed it and committed while it
-- waited: two transactions changing one carousel at once cannot leave the
-- keys of either one's snapshot. (The merchants' writes and the import lock
-- their shops first already, with the same lock; for them it costs nothing.
-- It is the lock an update of a column that is no key takes, so it does not
-- wait for, or hold up, the inserts that only reference a shop: engagement
-- counters, products.) One shop at a time: a statement over the whole array
-- was planned afresh on every call, four times the cost.
--
-- enable_seqscan is off while it runs (and in the availability trigger's
-- function): PL/pgSQL keeps a session's plan, and one made while an import's
-- transaction had barely begun filling tables nobody has analysed scanned
-- them whole for every shop after, for the rest of the import (1,050 shops:
-- 6 s instead of 1.5 s). Every statement here reads one shop's rows by an
-- index, whatever the statistics say. Each function also keeps the
-- search_path it was made with, so that a write from a session with another
-- one (a script, psql) finds the functions and tables.
-- +goose StatementBegin
CREATE FUNCTION refresh_carousel_keys(shop_ids BIGINT[]) RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off SET search_path FROM CURRENT AS $$
DECLARE
    shop BIGINT;
BEGIN
    FOREACH shop IN ARRAY shop_ids LOOP
        PERFORM 1 FROM shops WHERE id = shop FOR NO KEY UPDATE;
        UPDATE shops SET featured_keys = COALESCE((SELECT k.featured_keys FROM carousel_keys k WHERE k.shop_id = shop), '')
            WHERE id = shop;
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- The featured lists' triggers run once a statement, not once a row: a
-- merchant's new carousel (its old rows deleted, up to five inserted) sets
-- the shop's keys twice, not ten times. Shops in id order, the order every
-- writer locks them in.
-- +goose StatementBegin
CREATE FUNCTION carousel_keys_featured_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_carousel_keys(ARRAY(SELECT DISTINCT shop_id FROM new_rows ORDER BY 1));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_carousel_keys(ARRAY(SELECT DISTINCT shop_id FROM old_rows ORDER BY 1));
    ELSE
        PERFORM refresh_carousel_keys(ARRAY(SELECT shop_id FROM old_rows UNION SELECT shop_id FROM new_rows ORDER BY 1));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- The availability trigger locks the shop before it asks whether the
-- product is featured: a transaction featuring the product at the same time
-- has locked it already (its own trigger's refresh), and this one then waits
-- for it, and sees it featured. Without the lock, the product could go out
-- of stock while being featured, each transaction blind to the other's change,
-- and the keys keep it.
-- +goose StatementBegin
CREATE FUNCTION carousel_keys_availability_changed() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM shops WHERE id = NEW.shop_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM featured_products f WHERE f.shop_id = NEW.shop_id AND f.product_id = NEW.id) THEN
        PERFORM refresh_carousel_keys(ARRAY[NEW.shop_id]);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER carousel_keys_featured_insert AFTER INSERT ON featured_products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carousel_keys_featured_changed();
CREATE TRIGGER carousel_keys_featured_delete AFTER DELETE ON featured_products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carousel_keys_featured_changed();
CREATE TRIGGER carousel_keys_featured_update AFTER UPDATE ON featured_products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carousel_keys_featured_changed();

-- A product's availability changes its carousel only when the product is
-- featured and becomes purchasable or stops being so: the WHEN clause lets
-- every other update of products by without calling anything.
CREATE TRIGGER carousel_keys_availability AFTER UPDATE OF availability ON products
    FOR EACH ROW
    WHEN ((OLD.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')) IS DISTINCT FROM (NEW.availability IN ('OUT_OF_STOCK', 'DISCONTINUED')))
    EXECUTE FUNCTION carousel_keys_availability_changed();

-- +goose Down
DROP TRIGGER carousel_keys_availability ON products;
DROP TRIGGER carousel_keys_featured_update ON featured_products;
DROP TRIGGER carousel_keys_featured_delete ON featured_products;
DROP TRIGGER carousel_keys_featured_insert ON featured_products;
DROP FUNCTION carousel_keys_availability_changed();
DROP FUNCTION carousel_keys_featured_changed();
DROP FUNCTION refresh_carousel_keys(BIGINT[]);
DROP VIEW carousel_keys;
ALTER TABLE shops DROP COLUMN featured_keys;
