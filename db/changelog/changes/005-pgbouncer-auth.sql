--liquibase formatted sql

--changeset wallet-service:005-pgbouncer-auth splitStatements:false
--comment: PgBouncer auth_query lookup: SCRAM secrets of pgbouncer_client members only, through a SECURITY DEFINER function
-- PgBouncer (auth_user = pgbouncer_auth) runs
--     SELECT usename, passwd FROM pgbouncer.get_auth($1)
-- for every client user missing from its auth_file, then verifies the client's SCRAM proof against
-- the secret and reuses it to log in to PostgreSQL. pg_authid is readable only by superusers, so
-- the function is owned by the migrating superuser and exposes exactly one thing: the secret of a
-- login role that is a member of pgbouncer_client and is not a superuser. Its search_path is
-- pinned so a caller cannot shadow pg_catalog objects.
CREATE SCHEMA pgbouncer;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer_auth;

CREATE FUNCTION pgbouncer.get_auth(p_usename text)
RETURNS TABLE (usename name, passwd text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.rolname, a.rolpassword
      FROM pg_catalog.pg_authid a
     WHERE a.rolname = p_usename
       AND a.rolcanlogin
       AND NOT a.rolsuper
       AND NOT a.rolreplication
       AND (a.rolvaliduntil IS NULL OR a.rolvaliduntil > now())
       AND EXISTS (SELECT FROM pg_catalog.pg_auth_members m
                     JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                    WHERE m.member = a.oid AND g.rolname = 'pgbouncer_client');
$$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgbouncer_auth;
--rollback DROP FUNCTION pgbouncer.get_auth(text);
--rollback DROP SCHEMA pgbouncer;
