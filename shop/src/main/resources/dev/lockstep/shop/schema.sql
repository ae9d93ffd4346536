-- The shop's OLTP schema, the one source of examples/shop/pipeline.yaml (ShopSchema runs it; the seeds and the
-- workload's mixes write to it). An order's total is what its writer states: the bulk mix writes one, the day mix
-- leaves it null (the star schema sums the lines).
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'delivered', 'cancelled');
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text,
    city text,
    segment text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE categories (
    id int PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE products (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    sku text NOT NULL,
    category_id int REFERENCES categories,
    price numeric(10,2) NOT NULL
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    created_at timestamptz NOT NULL DEFAULT now(),
    status order_status NOT NULL DEFAULT 'new',
    total numeric(12,2)
);
CREATE TABLE order_items (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products,
    quantity int NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    discount_pct numeric(5,2)
);
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON order_items (order_id);
