-- The source schema examples/shop/pipeline.yaml describes.
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text,
    city text,
    segment text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE categories (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE products (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    sku text,
    category_id integer REFERENCES categories,
    price numeric(10, 2)
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    status order_status NOT NULL,
    created_at timestamptz NOT NULL,
    note text
);
CREATE TABLE order_items (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders,
    product_id bigint NOT NULL REFERENCES products,
    quantity integer NOT NULL,
    unit_price numeric(10, 2) NOT NULL,
    discount_pct numeric(5, 2)
);
-- A table CDC cannot follow: no primary key, default replica identity.
CREATE TABLE audit_log (at timestamptz NOT NULL, message text);
