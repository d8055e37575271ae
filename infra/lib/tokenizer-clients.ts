import { Aws } from 'aws-cdk-lib';
import type { ResourceNames } from './resource-names.js';
import {
  assertRoutesAllowed,
  route,
  type TokenizerPrincipal,
  type TokenizerRoute,
} from './tokenizer-access.js';

/** A service that calls the tokenizer: its principal entry plus the role it runs as and the routes it calls. */
export interface TokenizerClient extends TokenizerPrincipal {
  /** The fixed name its stack gives its execution role; `roleArn` is computed from it. */
  readonly roleName: string;
  /** The routes its IAM policy may invoke (a subset of what its permissions allow). */
  readonly calls: readonly TokenizerRoute[];
}

/** `arn:{partition}:iam::{account}:role/{name}`: computable in any stack, before the role exists. */
export function roleArnFromName(roleName: string): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`;
}

/**
 * The order service: tenant `orders`. It tokenizes card numbers on `POST /order` and detokenizes on
 * `POST /paybill` (and to compare the card of a replayed order), so it gets exactly those two permissions:
 * no metadata reads, no masked-only reveals, no deletes. (Its best-effort `deleteToken` of an unused token
 * is therefore refused with 403 and logged by the service; granting it means adding `delete` here and
 * `route('DELETE', '/v1/tokens/{token}')` to `calls`.)
 */
export function orderServiceClient(names: ResourceNames): TokenizerClient {
  const client: TokenizerClient = {
    name: 'order-service',
    roleName: names.orderServiceRole,
    roleArn: roleArnFromName(names.orderServiceRole),
    tenant: 'orders',
    permissions: ['tokenize', 'detokenize'],
    calls: [route('POST', '/v1/tokens'), route('POST', '/v1/detokenize')],
  };
  assertRoutesAllowed(client, client.calls);
  return client;
}
