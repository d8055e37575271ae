// Dev-only test double of AWS KMS for local runs and tests: never import it from service code.
// It speaks the AWS JSON 1.1 protocol the way @aws-sdk/client-kms does, for the few operations the
// AWS Encryption SDK KMS keyring and the branch key store of its hierarchical keyring need (CreateKey and
// VersionKey: GenerateDataKeyWithoutPlaintext and ReEncrypt; branch key reads: Decrypt), with real
// AES-256-GCM under per-key master key material.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

export interface LocalKmsKey {
  /** A UUID, as KMS key ids are. */
  keyId: string;
  arn: string;
  /** `alias/NAME` */
  alias?: string;
}

export type LocalKmsFault = { mode: 'none' } | { mode: 'fail' | 'throttle'; operations?: string[] };

export interface LocalKmsOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
  /** How many keys, or their key ids (UUIDs); default 1. Key N (from 1) gets the alias `alias/local-N`. */
  keys?: number | string[];
  /**
   * Load the keys from this JSON file, or create it (mode 0600) with new ones, so ciphertexts survive
   * restarts. Once the file exists its keys are authoritative; when `keys` asks for more keys than it
   * holds, the missing ones are added to it (a data directory from before a second key was needed).
   */
  keyMaterialFile?: string;
}

export interface LocalKms {
  /** http://HOST:PORT */
  readonly endpoint: string;
  readonly keys: LocalKmsKey[];
  /** keys[0].arn */
  readonly keyArn: string;
  /** Calls per operation name, faulted and rejected ones included, e.g. { GenerateDataKey: 3, Decrypt: 1 }. */
  stats(): Record<string, number>;
  resetStats(): void;
  setFault(fault: LocalKmsFault): void;
  close(): Promise<void>;
}

const OPERATIONS = [
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'DescribeKey',
] as const;
type Operation = (typeof OPERATIONS)[number];

const MAX_BODY_BYTES = 64 * 1024;
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_GRANT_TOKENS = 10;
const MAX_GRANT_TOKEN_LENGTH = 8192;
const ASYMMETRIC_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_11 = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'TrentService.';

// Blob: version (1) | key id as raw UUID (16) | iv (12) | GCM tag (16) | ciphertext.
// The version and key id are authenticated too (part of the AAD), then the canonical encryption context.
const BLOB_VERSION = 1;
const HEADER_BYTES = 1 + 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface StoredKey {
  keyId: string;
  alias: string;
  /** Epoch seconds. */
  creationDate: number;
  material: Buffer;
}

interface KeyFile {
  version: 1;
  keys: { keyId: string; alias: string; creationDate: number; material: string }[];
}

class KmsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const fresh = newKeys(options.keys ?? 1);
  const stored = options.keyMaterialFile ? await loadOrCreateKeyFile(options.keyMaterialFile, fresh) : fresh;

  const keyArn = (keyId: string) => `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  const aliasArn = (alias: string) => `arn:aws:kms:${region}:${accountId}:${alias}`;
  // Every accepted spelling of a KeyId: key id, key ARN, alias name, alias ARN.
  const byName = new Map<string, StoredKey>();
  for (const key of stored) {
    for (const name of [key.keyId, keyArn(key.keyId), key.alias, aliasArn(key.alias)]) byName.set(name, key);
  }
  const byId = new Map(stored.map((key) => [key.keyId, key]));

  const counters = new Map<string, number>();
  let fault: LocalKmsFault = { mode: 'none' };

  function resolveKey(keyId: unknown, field = 'KeyId'): StoredKey {
    if (typeof keyId !== 'string' || keyId === '') throw validation(`${field} is required`);
    const key = byName.get(keyId);
    if (!key) throw new KmsError(400, 'NotFoundException', `Key '${keyId}' does not exist`);
    return key;
  }

  function encryptBlob(key: StoredKey, plaintext: Buffer, context: unknown): Buffer {
    const header = Buffer.concat([Buffer.of(BLOB_VERSION), uuidBytes(key.keyId)]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  function decryptBlob(
    blob: Buffer,
    context: unknown,
    requestedKeyId: unknown,
    requestedKeyField = 'KeyId',
  ): { key: StoredKey; plaintext: Buffer } {
    const requested =
      requestedKeyId === undefined ? undefined : resolveKey(requestedKeyId, requestedKeyField);
    if (blob.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || blob[0] !== BLOB_VERSION) {
      throw invalidCiphertext();
    }
    const key = byId.get(uuidString(blob.subarray(1, HEADER_BYTES)));
    if (!key) throw invalidCiphertext();
    if (requested && requested !== key) {
      throw new KmsError(
        400,
        'IncorrectKeyException',
        'The key ID in the request does not identify the key used to encrypt the ciphertext',
      );
    }
    const iv = blob.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
    const tag = blob.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key.material, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER_BYTES), canonicalContext(context)]));
    decipher.setAuthTag(tag);
    try {
      const ciphertext = blob.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES);
      return { key, plaintext: Buffer.concat([decipher.update(ciphertext), decipher.final()]) };
    } catch {
      throw invalidCiphertext(); // wrong encryption context or a tampered blob
    }
  }

  function generateDataKey(input: Record<string, unknown>, withPlaintext: boolean): object {
    const key = resolveKey(input.KeyId);
    const plaintext = randomBytes(dataKeyLength(input));
    const blob = encryptBlob(key, plaintext, input.EncryptionContext);
    return {
      KeyId: keyArn(key.keyId),
      CiphertextBlob: blob.toString('base64'),
      ...(withPlaintext ? { Plaintext: plaintext.toString('base64') } : {}),
    };
  }

  const handlers: Record<Operation, (input: Record<string, unknown>) => object> = {
    GenerateDataKey: (input) => generateDataKey(input, true),
    GenerateDataKeyWithoutPlaintext: (input) => generateDataKey(input, false),
    Encrypt(input) {
      symmetricAlgorithm(input, 'EncryptionAlgorithm');
      const key = resolveKey(input.KeyId);
      const plaintext = base64Field(input, 'Plaintext');
      if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_BYTES) {
        throw validation(`Plaintext must be 1 to ${MAX_PLAINTEXT_BYTES} bytes`);
      }
      return {
        KeyId: keyArn(key.keyId),
        CiphertextBlob: encryptBlob(key, plaintext, input.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt(input) {
      const blob = base64Field(input, 'CiphertextBlob');
      symmetricAlgorithm(input, 'EncryptionAlgorithm');
      const { key, plaintext } = decryptBlob(blob, input.EncryptionContext, input.KeyId);
      // The Encryption SDK keyring requires KeyId to equal the key ARN it wrapped the data key with.
      return {
        KeyId: keyArn(key.keyId),
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    // Decrypt under the source key and context, encrypt under the destination key and context, in one
    // call: the branch key store turns a DECRYPT_ONLY branch key into its ACTIVE copy this way.
    ReEncrypt(input) {
      const blob = base64Field(input, 'CiphertextBlob');
      symmetricAlgorithm(input, 'SourceEncryptionAlgorithm');
      symmetricAlgorithm(input, 'DestinationEncryptionAlgorithm');
      const destination = resolveKey(input.DestinationKeyId, 'DestinationKeyId');
      const source = decryptBlob(blob, input.SourceEncryptionContext, input.SourceKeyId, 'SourceKeyId');
      try {
        const reencrypted = encryptBlob(destination, source.plaintext, input.DestinationEncryptionContext);
        return {
          CiphertextBlob: reencrypted.toString('base64'),
          SourceKeyId: keyArn(source.key.keyId),
          KeyId: keyArn(destination.keyId),
          SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      } finally {
        source.plaintext.fill(0); // it never leaves the stand-in
      }
    },
    DescribeKey(input) {
      const key = resolveKey(input.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: accountId,
          KeyId: key.keyId,
          Arn: keyArn(key.keyId),
          CreationDate: key.creationDate,
          Enabled: true,
          Description: '',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyState: 'Enabled',
          Origin: 'AWS_KMS',
          KeyManager: 'CUSTOMER',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          MultiRegion: false,
        },
      };
    },
  };

  function handleKms(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    if (!isOperation(operation)) {
      throw new KmsError(400, 'UnsupportedOperationException', `Operation '${operation}' is not supported`);
    }
    counters.set(operation, (counters.get(operation) ?? 0) + 1);
    // Presence only: the signature itself is not verified.
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
      throw new KmsError(
        400,
        'MissingAuthenticationTokenException',
        'Request is missing Authentication Token',
      );
    }
    if (fault.mode !== 'none' && (!fault.operations || fault.operations.includes(operation))) {
      if (fault.mode === 'fail') throw new KmsError(500, 'KMSInternalException', 'Injected failure');
      throw new KmsError(400, 'ThrottlingException', 'Rate exceeded');
    }
    const input = parseJsonObject(body);
    validateGrantTokens(input.GrantTokens); // accepted and checked for shape; grants are not modelled
    sendJson(res, 200, handlers[operation](input));
  }

  // Admin routes (/_local/...) let out-of-process tests read counters and inject faults.
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!body) throw new KmsError(413, 'ValidationException', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    switch (`${req.method} ${req.url}`) {
      case 'POST /':
        return handleKms(req, res, body);
      case 'GET /_local/stats':
        return sendJson(res, 200, Object.fromEntries(counters));
      case 'POST /_local/stats/reset':
        counters.clear();
        return void res.writeHead(204).end();
      case 'POST /_local/fault':
        fault = parseFault(parseJsonObject(body));
        return void res.writeHead(204).end();
      default:
        return sendJson(res, 404, { message: `No route for ${req.method} ${req.url}` });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof KmsError) return sendError(res, error);
      console.error('local-kms: internal error:', error instanceof Error ? error.message : error);
      sendError(res, new KmsError(500, 'KMSInternalException', 'Internal error'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const keys = stored.map((key) => ({ keyId: key.keyId, arn: keyArn(key.keyId), alias: key.alias }));

  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    keys,
    keyArn: (keys[0] as LocalKmsKey).arn, // there is always at least one key
    stats: () => Object.fromEntries(counters),
    resetStats: () => counters.clear(),
    setFault(next) {
      fault = parseFault(next);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // the SDK keeps sockets alive; do not wait for them to time out
      }),
  };
}

function isOperation(name: string): name is Operation {
  return (OPERATIONS as readonly string[]).includes(name);
}

function newKeys(keys: number | string[]): StoredKey[] {
  const ids = typeof keys === 'number' ? Array.from({ length: keys }, () => randomUUID()) : keys;
  if (ids.length === 0) throw new Error('local-kms: at least one key is required');
  const creationDate = Math.floor(Date.now() / 1000);
  return ids.map((keyId, i) => {
    if (!UUID.test(keyId)) throw new Error(`local-kms: key id '${keyId}' is not a lowercase UUID`);
    return { keyId, alias: `alias/local-${i + 1}`, creationDate, material: randomBytes(32) };
  });
}

async function loadOrCreateKeyFile(file: string, fresh: StoredKey[]): Promise<StoredKey[]> {
  const content: KeyFile = {
    version: 1,
    keys: fresh.map((key) => ({ ...key, material: key.material.toString('base64') })),
  };
  try {
    await mkdir(dirname(file), { recursive: true });
    // 'wx': never overwrite existing key material (that would orphan every ciphertext made with it).
    await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<KeyFile>;
  const keys = (parsed.keys ?? []).map((key) => ({ ...key, material: Buffer.from(key.material, 'base64') }));
  const valid =
    parsed.version === 1 &&
    keys.length > 0 &&
    keys.every(
      (key) =>
        UUID.test(key.keyId) &&
        key.material.length === 32 &&
        typeof key.alias === 'string' &&
        typeof key.creationDate === 'number',
    );
  if (!valid) throw new Error(`local-kms: ${file} is not a valid key material file`);
  const known = new Set(keys.map((key) => key.keyId));
  const missing = fresh.slice(keys.length).filter((key) => !known.has(key.keyId));
  if (missing.length === 0) return keys;
  // Existing key material is kept as it is: only new keys are appended, the file replaced atomically.
  const grown = [...keys, ...missing];
  const next = `${file}.${process.pid}.tmp`;
  const text: KeyFile = {
    version: 1,
    keys: grown.map((key) => ({ ...key, material: key.material.toString('base64') })),
  };
  await writeFile(next, `${JSON.stringify(text, null, 2)}\n`, { mode: 0o600 });
  await rename(next, file);
  return grown;
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function uuidString(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sorted entries, so the order in which a client lists the context does not matter. */
function canonicalContext(context: unknown): Buffer {
  if (context === undefined || context === null) return Buffer.from('[]');
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw validation('EncryptionContext must be a map');
  }
  const entries = Object.entries(context);
  if (!entries.every(([, value]) => typeof value === 'string')) {
    throw validation('EncryptionContext values must be strings');
  }
  return Buffer.from(JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Only symmetric encryption keys exist here; KMS refuses an asymmetric algorithm for them. */
function symmetricAlgorithm(input: Record<string, unknown>, field: string): void {
  const algorithm = input[field];
  if (algorithm === undefined || algorithm === 'SYMMETRIC_DEFAULT') return;
  if (typeof algorithm === 'string' && ASYMMETRIC_ALGORITHMS.includes(algorithm)) {
    throw new KmsError(
      400,
      'InvalidKeyUsageException',
      `${field} ${algorithm} is not compatible with a symmetric encryption key`,
    );
  }
  throw validation(`${field} must be one of SYMMETRIC_DEFAULT, ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
}

function validateGrantTokens(tokens: unknown): void {
  if (tokens === undefined) return;
  if (
    !Array.isArray(tokens) ||
    tokens.length > MAX_GRANT_TOKENS ||
    !tokens.every(
      (token) => typeof token === 'string' && token.length >= 1 && token.length <= MAX_GRANT_TOKEN_LENGTH,
    )
  ) {
    throw validation(
      `GrantTokens must be a list of at most ${MAX_GRANT_TOKENS} strings of 1 to ${MAX_GRANT_TOKEN_LENGTH} characters`,
    );
  }
}

function dataKeyLength(input: Record<string, unknown>): number {
  const { NumberOfBytes, KeySpec } = input;
  if ((NumberOfBytes === undefined) === (KeySpec === undefined)) {
    throw validation('Specify either NumberOfBytes or KeySpec');
  }
  if (KeySpec === 'AES_256') return 32;
  if (KeySpec === 'AES_128') return 16;
  if (KeySpec !== undefined) throw validation('KeySpec must be AES_256 or AES_128');
  if (!Number.isInteger(NumberOfBytes) || (NumberOfBytes as number) < 1 || (NumberOfBytes as number) > 1024) {
    throw validation('NumberOfBytes must be an integer from 1 to 1024');
  }
  return NumberOfBytes as number;
}

function base64Field(input: Record<string, unknown>, name: string): Buffer {
  const value = input[name];
  if (typeof value !== 'string' || value === '') throw validation(`${name} is required`);
  return Buffer.from(value, 'base64');
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.length ? body.toString('utf8') : '{}');
  } catch {
    throw new KmsError(400, 'SerializationException', 'Malformed JSON body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KmsError(400, 'SerializationException', 'The body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function parseFault(value: unknown): LocalKmsFault {
  const { mode, operations } = (value ?? {}) as { mode?: unknown; operations?: unknown };
  if (mode === 'none') return { mode };
  if (mode !== 'fail' && mode !== 'throttle') {
    throw validation("Fault mode must be 'none', 'fail' or 'throttle'");
  }
  if (operations === undefined) return { mode };
  if (
    !Array.isArray(operations) ||
    !operations.every((name) => typeof name === 'string' && isOperation(name))
  ) {
    throw validation(`Fault operations must be a list of: ${OPERATIONS.join(', ')}`);
  }
  return { mode, operations };
}

function validation(message: string): KmsError {
  return new KmsError(400, 'ValidationException', message);
}

function invalidCiphertext(): KmsError {
  return new KmsError(
    400,
    'InvalidCiphertextException',
    'The ciphertext is invalid or does not match the encryption context',
  );
}

/** Resolves undefined when the body is too large; it is still drained so the 413 reaches the client. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': JSON_11 }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: KmsError): void {
  res.setHeader('x-amzn-ErrorType', error.type);
  sendJson(res, error.status, { __type: error.type, message: error.message });
}
