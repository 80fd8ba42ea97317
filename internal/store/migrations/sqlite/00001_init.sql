-- +goose Up
CREATE TABLE shops (
    id          INTEGER PRIMARY KEY,
    owner_id    TEXT      NOT NULL UNIQUE,
    name        TEXT      NOT NULL,
    description TEXT,
    store_url   TEXT      NOT NULL,
    status      TEXT      NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED')),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
-- Query.shops pages through active shops in id order.
CREATE INDEX shops_status_id ON shops (status, id);

CREATE TABLE products (
    id               INTEGER PRIMARY KEY,
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
    -- (shop_id, sku) is the merchant's key; it also serves the catalogue page
    -- lookups through the (shop_id, id) index below.
    UNIQUE (shop_id, sku),
    -- Lets featured_products prove a featured product belongs to the same shop.
    UNIQUE (id, shop_id)
);
CREATE INDEX products_shop_id_id ON products (shop_id, id);

-- The carousel: positions 1..5 per shop. The composite foreign key makes it
-- impossible to feature another shop's product.
CREATE TABLE featured_products (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    product_id INTEGER NOT NULL,
    PRIMARY KEY (shop_id, position),
    UNIQUE (shop_id, product_id),
    FOREIGN KEY (product_id, shop_id) REFERENCES products (id, shop_id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE featured_products;
DROP TABLE products;
DROP TABLE shops;
