import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { open as openFile, rename, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

// Files a process makes once and then serves many times (public statements cut at a publication, the
// published sao kê): the first request makes one, the ones that arrive meanwhile wait for that making,
// and everyone after reads the file. What is kept never changes for its key, so no process needs to
// ask another: each keeps its own folder under the system's temporary folder, removed at close and,
// after a crash, by the next process to start. The folder is bounded in bytes and in files: the files
// read least recently go first, and a download already reading one keeps its open handle.

/** A kept file and the facts its making found (its size, digests, totals). */
export interface KeptFile<T> {
  file: string;
  bytes: number;
  facts: T;
  usedAt: number;
}

/** Writes a new file at `partial` (renamed into place once it returns) and says what it holds. */
export type MakeFile<T> = (partial: string) => Promise<{ bytes: number; facts: T }>;

export interface KeptFilesOptions {
  /** The folder's name starts with this, then the process id: how a later start finds a crashed one's. */
  prefix: string;
  maxBytes: number;
  maxFiles?: number;
  root?: string;
}

const DEFAULT_MAX_FILES = 10_000;

export class KeptFiles<T> {
  readonly dir: string;
  private readonly kept = new Map<string, Promise<KeptFile<T>>>();
  /** The files made, by key (a subset of kept: those no longer being made). */
  private readonly made = new Map<string, KeptFile<T>>();
  private readonly maxFiles: number;
  private serial = 0;

  constructor(private readonly opts: KeptFilesOptions) {
    const root = opts.root ?? tmpdir();
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    if (!/^[a-z-]+-$/.test(opts.prefix)) throw new Error(`a kept-files prefix is lower-case letters and dashes, ending in one: ${opts.prefix}`);
    sweepDeadProcesses(root, opts.prefix);
    this.dir = path.join(root, `${opts.prefix}${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The file already made (or being made) for this key, or null: no making starts. */
  async find(key: string): Promise<KeptFile<T> | null> {
    const kept = this.kept.get(key);
    if (!kept) return null;
    const stored = await kept.catch(() => null);
    if (stored) stored.usedAt = Date.now();
    return stored;
  }

  /** The file for this key, made now by `make` unless it is kept or being made. */
  get(key: string, make: MakeFile<T>): Promise<KeptFile<T>> {
    let kept = this.kept.get(key);
    if (kept) {
      return kept.then((stored) => {
        stored.usedAt = Date.now();
        return stored;
      });
    }
    kept = this.make(make);
    this.kept.set(key, kept);
    kept.then((stored) => {
      if (this.kept.get(key) !== kept) return rmSync(stored.file, { force: true }); // closed meanwhile
      this.made.set(key, stored);
      this.bound(key);
    }, () => this.kept.delete(key));
    return kept;
  }

  /** The kept file opened for reading, or null (and forgotten) when the bound removed it meanwhile. */
  async open(key: string, stored: KeptFile<T>): Promise<FileHandle | null> {
    try {
      return await openFile(stored.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (this.made.get(key) === stored) {
        this.made.delete(key);
        this.kept.delete(key);
      }
      return null;
    }
  }

  get count(): number {
    return this.made.size;
  }

  /** Forgets every file and removes the folder (made again by a later making). */
  close(): void {
    this.kept.clear();
    this.made.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async make(make: MakeFile<T>): Promise<KeptFile<T>> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 }); // again after a close
    const file = path.join(this.dir, String(++this.serial)); // keys name what the request asked; files need no name
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    try {
      const { bytes, facts } = await make(partial);
      await rename(partial, file);
      return { file, bytes, facts, usedAt: Date.now() };
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
  }

  /** Removes the files read least recently until the folder fits its bounds (never the one just made). */
  private bound(justMade: string): void {
    const made = [...this.made].filter(([key]) => key !== justMade);
    let total = made.reduce((sum, [, s]) => sum + s.bytes, this.made.get(justMade)?.bytes ?? 0);
    let files = this.made.size;
    made.sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [key, stored] of made) {
      if (total <= this.opts.maxBytes && files <= this.maxFiles) break;
      this.kept.delete(key);
      this.made.delete(key);
      total -= stored.bytes;
      files -= 1;
      rmSync(stored.file, { force: true }); // a download already reading it keeps its open handle; the name goes now
    }
  }
}

/** Folders this kind of keeper left in processes that are gone (a crash skips close()). */
function sweepDeadProcesses(root: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || alive(pid)) continue;
    try {
      if (statSync(path.join(root, name)).isDirectory()) rmSync(path.join(root, name), { recursive: true, force: true });
    } catch {
      // another process swept it first
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
