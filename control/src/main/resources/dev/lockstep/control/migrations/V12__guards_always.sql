-- The applier's session may run as a replica (session_replication_role = replica) so that the facts' foreign-key
-- triggers do not re-check, row by row, keys it has just looked up itself. Triggers fire on such a session only when
-- enabled ALWAYS: the control schema's guards must hold for every session, the applier's first.
ALTER TABLE warehouse_migrations ENABLE ALWAYS TRIGGER warehouse_migrations_immutable;
ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_append_only;
ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_no_truncate;
