import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Connections,
  type ConnectionsDocument,
} from '@tokenization/tokenizer-service/forwarding/connections';
import { SecretStore } from '@tokenization/tokenizer-service/forwarding/secrets';
import type { Node } from 'constructs';

/** Where `-c tokenization:connectionsFile=…` is resolved from: the infra workspace (cdk.json's directory). */
const infraRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A Secrets Manager secret ARN, the only secret reference a deployed forwarder can read. */
const secretArn = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Forwarding in AWS: the connections bundled with the forwarder, and how many NAT gateways carry it. */
export interface ForwardingConfig {
  /** Absolute path of the connections file (tokenizer-service/connections.schema.json). */
  readonly connectionsFile: string;
  readonly connectionNames: readonly string[];
  /** The Secrets Manager secrets the connections add to their requests: the forwarder may read these only. */
  readonly secretArns: readonly string[];
  /** One NAT gateway per availability zone (`tokenization:natGatewayPerAz`), else one for the VPC. */
  readonly natGatewayPerAz: boolean;
}

/**
 * Reads `tokenization:connectionsFile` and validates it now, with the tokenizer's own rules (schema, https
 * only, reserved headers), so a file the forwarder would refuse at start-up fails the synth instead. Secrets
 * must be Secrets Manager ARNs: a `file:` secret would have to be bundled into the function code.
 * Undefined without the key (or with an empty one): no forwarder, no forward route, no NAT.
 */
export function readForwardingConfig(node: Node): ForwardingConfig | undefined {
  const key = 'tokenization:connectionsFile';
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error(`Context "${key}" must be a file path`);
  const connectionsFile = resolve(infraRoot, raw);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(connectionsFile, 'utf8'));
  } catch (error) {
    throw new Error(`Context "${key}": ${connectionsFile} cannot be read as JSON`, { cause: error });
  }
  // The tokenizer's validation; its Secrets Manager client is never called here (ARNs are fetched on use).
  const secrets = new SecretStore({
    baseDirectory: dirname(connectionsFile),
    secretsManager: async () => undefined,
  });
  let connections: Connections;
  try {
    connections = Connections.fromDocument(document, connectionsFile, { allowLoopback: false, secrets });
  } catch (error) {
    throw new Error(`Context "${key}": ${(error as Error).message}`, { cause: error });
  }
  const secretArns = new Set<string>();
  for (const connection of (document as ConnectionsDocument).connections) {
    for (const [header, { secret }] of Object.entries(connection.headers ?? {})) {
      if (!secretArn.test(secret)) {
        throw new Error(
          `Context "${key}": connection ${connection.name}, header ${header}: in AWS a secret must be a ` +
            `Secrets Manager secret ARN, got ${JSON.stringify(secret)}`,
        );
      }
      secretArns.add(secret);
    }
  }
  if (connections.names.length === 0) return undefined;
  return {
    connectionsFile,
    connectionNames: connections.names,
    secretArns: [...secretArns].sort(),
    natGatewayPerAz: booleanContext(node, 'tokenization:natGatewayPerAz'),
  };
}

function booleanContext(node: Node, key: string): boolean {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`Context "${key}" must be true or false, got ${JSON.stringify(value)}`);
}
