-- +goose NO TRANSACTION
-- +goose Up
-- Shop and product ids are never reused. Without AUTOINCREMENT, SQLite gives a
-- new row the largest id plus one: delete the newest product and the next
-- one created, in any shop, got its id, so a stale CLICK counted for another
-- merchant's product and a gateway's cache keyed by id served the wrong
-- product. AUTOINCREMENT keeps the largest id ever used in sqlite_sequence;
-- PostgreSQL's identity columns never reuse ids, so its migrations have no
-- 00003 (goose numbers each dialect's folder on its own).
--
-- A column's AUTOINCREMENT cannot be added in place: shops and products are
-- rebuilt by SQLite's twelve steps (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"). Foreign keys are off while
-- they are, else dropping the old tables would cascade to featured_products
-- and shop_event_counts; PRAGMA foreign_keys does nothing inside a
-- transaction, hence NO TRANSACTION and the explicit BEGIN and COMMIT. goose
-- runs the whole file on one connection. The tables that reference shops and
-- products name them, and so reference the new tables once renamed. The
-- copies insert every id, which sets sqlite_sequence to the largest one
-- stored. An id deleted before this migration ran was not recorded anywhere
-- and may still be given once more, if it was the largest.
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE new_shops (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    TEXT      NOT NULL UNIQUE,
    name        TEXT      NOT NULL,
    description TEXT,
    store_url   TEXT      NOT NULL,
    status      TEXT      NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED')),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
INSERT INTO new_shops (id, owner_id, name, description, store_url, status, created_at, updated_at)
    SELECT id, owner_id, name, description, store_url, status, created_at, updated_at FROM shops;

CREATE TABLE new_products (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id          INTEGER   NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    sku              TEXT      NOT NULL,
    title            TEXT      NOT NULL,
    description      TEXT,
    url              TEXT      NOT NULL,
    image_url        TEXT      NOT NULL,
    image_alt_text   TEXT,
    image_width      INTEGER,
    image_height     INTEGER,
    currency         TEXT      NOT NULL,
    price_minor      INTEGER   NOT NULL CHECK (price_minor >= 0),
    compare_at_minor INTEGER,
    availability     TEXT      NOT NULL CHECK (availability IN ('IN_STOCK', 'AVAILABLE_FOR_ORDER', 'PREORDER', 'OUT_OF_STOCK', 'DISCONTINUED')),
    condition        TEXT      NOT NULL CHECK (condition IN ('NEW', 'REFURBISHED', 'USED')),
    brand            TEXT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (shop_id, sku),
    -- Lets featured_products prove a featured product belongs to the same shop.
    UNIQUE (id, shop_id)
);
INSERT INTO new_products (id, shop_id, sku, title, description, url, image_url, image_alt_text,
        image_width, image_height, currency, price_minor, compare_at_minor, availability,
        condition, brand, created_at, updated_at)
    SELECT id, shop_id, sku, title, description, url, image_url, image_alt_text,
        image_width, image_height, currency, price_minor, compare_at_minor, availability,
        condition, brand, created_at, updated_at FROM products;

DROP TABLE products;
DROP TABLE shops;
ALTER TABLE new_shops RENAME TO shops;
ALTER TABLE new_products RENAME TO products;

-- The indexes went with the old tables.
-- Query.shops pages through active shops in id order.
CREATE INDEX shops_status_id ON shops (status, id);
CREATE INDEX products_shop_id_id ON products (shop_id, id);

-- Every reference must still hold; a violation fails the CHECK and with it
-- the migration, before COMMIT.
CREATE TEMP TABLE foreign_key_violations (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO foreign_key_violations SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE foreign_key_violations;

COMMIT;

PRAGMA foreign_keys = ON;

-- +goose Down
-- Nothing to undo: the schema without AUTOINCREMENT would only reuse ids
-- again, and 00001's Down drops these tables whatever their definition.
SELECT 1;
