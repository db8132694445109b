-- Roles for a bureau's landtrack database on PostgreSQL + PostGIS.
--
-- Run once by the role that owns the landtrack tables (the one that ran the first landtrack
-- command on the database, which created them), after that first command:
--
--   psql -v writer=landtrack_app -v reader=landtrack_read -f scripts/postgis-roles.sql 'postgresql://owner@host/nanhai'
--
-- writer: what landtrack, `landtrack serve` and the planners' CLI connect as. It reads everything,
--   changes parcels, layers and tokens, and appends history; it can never rewrite history
--   (no UPDATE, DELETE or TRUNCATE on parcel_events and parcel_lineage, and the tables' triggers
--   refuse those even to the owner). It cannot change the schema: migrations, `landtrack copy`
--   into the database and a first import in another CRS are the owner's.
-- reader: QGIS users and reports: SELECT only.
-- The roles are made (NOLOGIN: give them a password or add users to them) when they do not exist.

\set ON_ERROR_STOP on
BEGIN;
SELECT format('CREATE ROLE %I NOLOGIN', :'writer') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'writer') \gexec
SELECT format('CREATE ROLE %I NOLOGIN', :'reader') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader') \gexec

GRANT USAGE ON SCHEMA public TO :"writer", :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"writer", :"reader";

-- The current record and the things planners replace.
GRANT INSERT, UPDATE ON parcels, landtrack_tokens, landtrack_import_fingerprint TO :"writer";
GRANT INSERT, DELETE ON urban_boundary, eco_redline, programme_area, barriers TO :"writer";
-- History: append only.
GRANT INSERT ON parcel_events, parcel_lineage TO :"writer";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"writer";

-- Nobody but the owner may change history, whatever was granted before.
REVOKE UPDATE, DELETE, TRUNCATE ON parcel_events, parcel_lineage FROM PUBLIC, :"writer", :"reader";
-- Tokens' hashes are the writer's business (the server checks them), not the readers'.
REVOKE SELECT ON landtrack_tokens FROM :"reader";
COMMIT;
