-- The database of the SQL golden cases: two related tables with the column types the operator
-- families apply to. catalog.json is what the engine's catalog query reads from it.
CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  info jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE article (
  id serial PRIMARY KEY,
  author_id integer NOT NULL REFERENCES author (id),
  title text NOT NULL,
  rating integer,
  published boolean NOT NULL DEFAULT false
);
INSERT INTO author (name, tags, info) VALUES ('ada', '{math}', '{"lang": "en"}'), ('bo', '{}', null);
INSERT INTO article (author_id, title, rating, published)
  VALUES (1, 'notes', 5, true), (1, 'drafts', 2, false), (2, 'poems', 4, true);
