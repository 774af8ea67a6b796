import { fdatasyncSync } from "node:fs";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";

// The embedded default keeps a committee's real books, so a write must be on stable storage before
// it is acknowledged, as on a PostgreSQL server. PGlite starts PostgreSQL with `-F` (fsync off), and
// its Node filesystem has no fsync: PostgreSQL's syncs reached Emscripten and stopped there, leaving
// the WAL in the page cache. Here PostgreSQL runs with fsync on, syncing the WAL with fsync() (the
// one call Emscripten hands to the filesystem: its fdatasync() is a no-op), and the filesystem
// passes each sync to the real file with fdatasync(2).

interface EmscriptenStream { nfd?: number }
interface EmscriptenModule { NODEFS: { stream_ops: { fsync?: (stream: EmscriptenStream) => number } } }
type InitResult = Awaited<ReturnType<NodeFS["init"]>>;

/** PGlite's Node filesystem, with PostgreSQL's fsync() reaching the disk. */
export class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS["init"]>[1]): Promise<InitResult> {
    const result = await super.init(pg, opts);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [...preRun, (mod: EmscriptenModule) => {
      mod.NODEFS.stream_ops.fsync = syncStream;
    }];
    return result;
  }
}

function syncStream(stream: EmscriptenStream): number {
  // Every stream NODEFS opens has a real descriptor, directories included (PostgreSQL syncs the
  // folder after a rename). A failed sync throws: PostgreSQL must not believe a write is durable.
  if (stream.nfd !== undefined) fdatasyncSync(stream.nfd);
  return 0;
}

/** PGlite's start parameters with fsync on: its own defaults less `-F`, syncing the WAL with fsync(). */
export function durableStartParams(): string[] {
  const defaults = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;
  if (!Array.isArray(defaults) || !defaults.includes("--single")) {
    throw new Error("PGlite's default start parameters are not where soquy expects them: check fsync before upgrading");
  }
  return [...defaults.filter((p) => p !== "-F"), "-c", "fsync=on", "-c", "wal_sync_method=fsync"];
}

/** Opens the embedded database in a data folder, durably. */
export function durablePGlite(pgdata: string, extra: PGliteOptions = {}): PGlite {
  return new PGlite({ ...extra, fs: new DurableNodeFS(pgdata), startParams: durableStartParams() });
}
