import { PassThrough, type Readable } from 'node:stream';
import { errorCodes } from 'fastify';

/**
 * Reads a request body as received, up to `limit` bytes (then fastify's own 413 error). The SigV4 check
 * needs the exact bytes the caller signed, before the JSON parser has seen them.
 */
export async function readRawBody(
  payload: Readable,
  limit: number,
  declaredLength: unknown,
): Promise<Buffer> {
  if (Number(declaredLength) > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of payload) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += bytes.length;
    if (length > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, length);
}

/** A fresh stream of bytes already read, for fastify's body parser to parse as usual. */
export function replayableBody(body: Buffer): Readable {
  const stream = new PassThrough();
  stream.end(body);
  return stream;
}
