-- Fresh statistics inside a bank import, whoever runs it.
--
-- Rules: none. A large import into a young ledger is planned with the sizes the tables had when last analysed:
-- its row checks and what is asked right after would scan tables it keeps growing. The import ANALYZEs the
-- ledger's tables inside its own transaction (ANALYZE counts the transaction's own rows, which the statistics
-- keeper, statistics.sql, in another session cannot see). ANALYZE is the table owner's: run by the service's role
-- it is skipped with a warning, so the import calls this, which runs as the owner. It reads nothing and changes no
-- row; a tenth of the default sample is enough for the plans it keeps healthy, as in statistics.sql. Run by the
-- migration that added it (20261207000051), not by the baseline.
--
-- SQLSTATEs: none.

create or replace function soquy_analyze_ledger() returns void
  language plpgsql security definer set search_path = public, pg_temp set default_statistics_target = 10
as $$
  begin
    -- SKIP_LOCKED: the lock an ANALYZE takes is held to the end of the import's transaction, so another import's
    -- ANALYZE (another committee's, on the same tables) would wait for this whole import; it goes on without instead.
    analyze (skip_locked) journal_entries, postings, donations, donors;
  end $$;
