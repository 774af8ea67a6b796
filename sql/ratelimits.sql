-- The shared rate limits' housekeeping. Run by the migration that added rate_limit_hits (20261207000041), after
-- that table exists; not by the baseline.
--
-- Rules:
-- - Windows that have ended are deleted by soquy_rate_limit_sweep(), which each process calls every minute; it
--   runs as the owner (the service's role deletes nothing) and deletes only ended windows, so anyone may call it.
--
-- SQLSTATEs: none.

create or replace function soquy_rate_limit_sweep() returns int
  language sql volatile security definer set search_path = public, pg_temp
as $$
  with gone as (delete from rate_limit_hits where window_ends <= now() returning 1)
  select count(*)::int from gone
$$;
