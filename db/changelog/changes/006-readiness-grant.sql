--liquibase formatted sql

--changeset wallet-service:006-readiness-grant
--comment: /ready compares DATABASECHANGELOG with the changelog; the app role may read that table, nothing more
GRANT SELECT ON databasechangelog TO wallet_app;
--rollback REVOKE SELECT ON databasechangelog FROM wallet_app;
