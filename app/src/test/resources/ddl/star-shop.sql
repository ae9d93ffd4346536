-- The source tables of the star-shop definition (definitions/star-shop.yaml), for the apply ITs. Nothing streams
-- from them in most tests: the catalog describes them, and change envelopes are written directly.
CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text, city text);
CREATE TABLE categories (id int PRIMARY KEY, name text);
CREATE TABLE products (id bigint PRIMARY KEY, name text, category_id int, price numeric(10,2));
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, created_at timestamptz, total numeric(12,2));
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint, product_id bigint, quantity int,
    unit_price numeric(10,2), pack_size int);
