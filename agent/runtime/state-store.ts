/**
 * The runtime's records on disk, one JSON file per sandbox and per container,
 * each replaced atomically (write a temp file, fsync, rename), so that a new
 * agent over the same rootDir sees what the last one created.
 */
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value, null, 2));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** A directory of `<id>/<fileName>` records. */
export class RecordStore<T> {
  readonly dir: string;
  private readonly fileName: string;

  constructor(dir: string, fileName: string) {
    this.dir = dir;
    this.fileName = fileName;
  }

  pathOf(id: string): string {
    return join(this.dir, id);
  }

  async save(id: string, record: T): Promise<void> {
    await writeJsonAtomic(join(this.dir, id, this.fileName), record);
  }

  async loadAll(): Promise<T[]> {
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const id of ids) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, id, this.fileName), 'utf8')) as T);
      } catch (err) {
        // A directory without a record is a create that never finished; the record is the commit point.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, id), { recursive: true, force: true });
  }
}
