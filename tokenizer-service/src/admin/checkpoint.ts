// The re-encryption job's checkpoint: where each scan segment stopped, so an interrupted pass resumes
// there instead of rescanning the table. Written after every page (atomically: a temporary file renamed
// over the old one, so a crash never leaves half a file).
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AdminUsageError } from './exit-codes.js';

export interface SegmentCheckpoint {
  /** The scan's LastEvaluatedKey after the last page whose items are all done; absent: from the start. */
  after?: Record<string, AttributeValue>;
  /** The segment was scanned to its end. */
  done: boolean;
}

export interface ReencryptionCheckpoint<Counts> {
  format: 'tokenizer-reencryption/1';
  tenant: string;
  /** The branch key version the pass moves items to: a rotation since makes the checkpoint stale. */
  targetVersion: string;
  segments: SegmentCheckpoint[];
  /** The items counted by the first counting pass (the progress total). */
  total: number;
  counts: Counts;
}

/** Reads a checkpoint; undefined when the file does not exist. */
export async function readCheckpoint<Counts>(
  path: string,
): Promise<ReencryptionCheckpoint<Counts> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let checkpoint: ReencryptionCheckpoint<Counts>;
  try {
    checkpoint = JSON.parse(text) as ReencryptionCheckpoint<Counts>;
  } catch {
    throw new AdminUsageError(`the checkpoint file ${path} is not JSON`);
  }
  if (checkpoint?.format !== 'tokenizer-reencryption/1' || !Array.isArray(checkpoint.segments)) {
    throw new AdminUsageError(`the checkpoint file ${path} is not a re-encryption checkpoint`);
  }
  return checkpoint;
}

/**
 * Writes checkpoints one at a time, in the order asked (segments finish pages concurrently): the file
 * always holds the latest complete state.
 */
export class CheckpointWriter<Counts> {
  readonly #path: string;
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  save(checkpoint: ReencryptionCheckpoint<Counts>): Promise<void> {
    const text = `${JSON.stringify(checkpoint, null, 2)}\n`;
    const write = this.#queue.then(async () => {
      const temporary = `${this.#path}.${process.pid}.tmp`;
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.#path);
    });
    this.#queue = write.catch(() => {});
    return write;
  }

  /** Deletes the file once the pass it records is complete. */
  remove(): Promise<void> {
    const removal = this.#queue.then(() => rm(this.#path, { force: true }));
    this.#queue = removal.catch(() => {});
    return removal;
  }
}
