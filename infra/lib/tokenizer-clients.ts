import { Aws } from 'aws-cdk-lib';
import type { ResourceNames } from './resource-names.js';
import { assertRoutesAllowed, forwardRoute, route, type TokenizerPrincipal } from './tokenizer-access.js';

/**
 * A service that calls the tokenizer: its principal entry plus the role it runs as. Its `calls` are the
 * routes its IAM policy, the API's resource policy and the execute-api endpoint policy let it invoke.
 */
export interface TokenizerClient extends TokenizerPrincipal {
  /** The fixed name its stack gives its execution role; `roleArn` is computed from it. */
  readonly roleName: string;
}

/** `arn:{partition}:iam::{account}:role/{name}`: computable in any stack, before the role exists. */
export function roleArnFromName(roleName: string): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`;
}

/** The connection the order service pays through (order-service/src/wiring.ts `paymentConnection`). */
export const orderPaymentConnection = 'payments';

/**
 * The order service: tenant `orders`. It tokenizes card numbers on `POST /order`, compares the card of a
 * replayed order with verify, pays on `POST /paybill` through the tokenizer's `payments` connection
 * (forward), and deletes the tokens it tokenized but could not use (an identical request won the race, or
 * writing the order failed). So it gets exactly `tokenize`, `verify`, `forward:payments` and `delete`: no
 * reveal of any kind (no `detokenize`, not even masked), no metadata reads, no verify-lock reset.
 */
export function orderServiceClient(names: ResourceNames): TokenizerClient {
  const client: TokenizerClient = {
    name: 'order-service',
    roleName: names.orderServiceRole,
    roleArn: roleArnFromName(names.orderServiceRole),
    tenant: 'orders',
    permissions: ['tokenize', 'verify', `forward:${orderPaymentConnection}`, 'delete'],
    calls: [
      route('POST', '/v1/tokens'),
      route('POST', '/v1/tokens/{token}/verify'),
      forwardRoute(orderPaymentConnection),
      route('DELETE', '/v1/tokens/{token}'),
    ],
  };
  assertRoutesAllowed(client, client.calls);
  return client;
}
