-- The agent's world (issue 12): each part in its own section below.

-- ---- knowledge base ----------------------------------------------------------------------------
-- The clinic's documents (POST /api/knowledge-base) and their passages, indexed for PostgreSQL
-- full-text search (english configuration). The search_knowledge_base tool ranks passages with
-- websearch_to_tsquery + ts_rank_cd (persistence/knowledge_queries.hpp). The document's text
-- lives only in its passages: the uploaded bytes (a PDF's) are not kept.
CREATE TABLE knowledge_documents (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  content_type text NOT NULL CHECK (content_type IN ('text/plain', 'text/markdown', 'application/pdf')),
  bytes        int NOT NULL CHECK (bytes BETWEEN 1 AND 524288),  -- the upload's size (a PDF's bytes)
  passages     int NOT NULL CHECK (passages >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id)
);
CREATE INDEX knowledge_documents_org ON knowledge_documents (org_id, created_at);

CREATE TABLE knowledge_passages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL,
  document_id uuid NOT NULL,
  position    int NOT NULL CHECK (position >= 0),  -- order within the document, from 0
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  tsv         tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED,
  FOREIGN KEY (document_id, org_id) REFERENCES knowledge_documents (id, org_id) ON DELETE CASCADE,
  UNIQUE (document_id, position)
);
-- The GIN index finds the matching passages; RLS (and the query's own org_id filter) then keep
-- the tenant's. A (org_id, tsv) index would need btree_gin: docs/knowledge-base.md.
CREATE INDEX knowledge_passages_tsv ON knowledge_passages USING gin (tsv);
CREATE INDEX knowledge_passages_org ON knowledge_passages (org_id);

GRANT SELECT, INSERT, DELETE ON knowledge_documents, knowledge_passages TO ringmaster_app;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['knowledge_documents', 'knowledge_passages'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;
