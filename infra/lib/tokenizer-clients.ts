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
 * The order service: tenant `orders`. It tokenizes card numbers on `POST /order`, detokenizes on
 * `POST /paybill` (and to compare the card of a replayed order), and deletes the tokens it tokenized but
 * could not use (an identical request won the race, or writing the order failed), so it gets exactly
 * `tokenize`, `detokenize` and `delete`: no metadata reads, no masked-only reveals.
 */
export function orderServiceClient(names: ResourceNames): TokenizerClient {
  const client: TokenizerClient = {
    name: 'order-service',
    roleName: names.orderServiceRole,
    roleArn: roleArnFromName(names.orderServiceRole),
    tenant: 'orders',
    permissions: ['tokenize', 'detokenize', 'delete'],
    calls: [
      route('POST', '/v1/tokens'),
      route('POST', '/v1/detokenize'),
      route('DELETE', '/v1/tokens/{token}'),
    ],
  };
  assertRoutesAllowed(client, client.calls);
  return client;
}
