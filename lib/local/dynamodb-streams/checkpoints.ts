import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isObject } from './mapping-config.ts';

/** Checkpoints per mapping and shard, in a JSON file written after each checkpoint. */
export class CheckpointStore {
  private data: {
    version: 1;
    mappings: Record<
      string,
      { streamArn: string; shards: Record<string, { sequenceNumber?: string; finished?: boolean }> }
    >;
  } = { version: 1, mappings: {} };

  private readonly file: string | undefined;

  constructor(file: string | undefined, log: (line: string) => void) {
    this.file = file;
    if (!file || !existsSync(file)) return;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof this.data;
      if (parsed?.version === 1 && isObject(parsed.mappings)) this.data = parsed;
    } catch (error) {
      log(`[streams] ignoring unreadable checkpoint file ${file}: ${(error as Error).message}`);
    }
  }

  /** The saved shards of a mapping, if they belong to this stream (not to a deleted table's). */
  shards(
    key: string,
    streamArn: string,
  ): Record<string, { sequenceNumber?: string; finished?: boolean }> | undefined {
    const saved = this.data.mappings[key];
    return saved?.streamArn === streamArn ? saved.shards : undefined;
  }

  save(
    key: string,
    streamArn: string,
    shardId: string,
    entry: { sequenceNumber?: string; finished?: boolean },
  ): void {
    let saved = this.data.mappings[key];
    if (saved?.streamArn !== streamArn) {
      saved = { streamArn, shards: {} };
      this.data.mappings[key] = saved;
    }
    const previous = saved.shards[shardId];
    if (previous?.sequenceNumber === entry.sequenceNumber && previous?.finished === entry.finished) return;
    saved.shards[shardId] = entry;
    this.write();
  }

  private write(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}
