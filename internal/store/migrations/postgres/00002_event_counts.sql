-- +goose Up
-- Engagement counters: one row per product, UTC day and event type, never one
-- row per event, so the table grows with products × days, not with traffic.
-- day is 'YYYY-MM-DD' text on both databases: it sorts as dates do.
CREATE TABLE shop_event_counts (
    shop_id    BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    day        TEXT   NOT NULL,
    type       TEXT   NOT NULL CHECK (type IN ('IMPRESSION', 'CLICK')),
    count      BIGINT NOT NULL CHECK (count > 0),
    PRIMARY KEY (product_id, day, type)
);
-- Insights read a shop's counters over a range of days.
CREATE INDEX shop_event_counts_shop_day ON shop_event_counts (shop_id, day);

-- +goose Down
DROP TABLE shop_event_counts;
