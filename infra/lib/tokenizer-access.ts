import { Effect, PolicyDocument, PolicyStatement, StarPrincipal } from 'aws-cdk-lib/aws-iam';

/**
 * Who may call the tokenizer, and for what: the one source of the tokenizer's `AUTHORIZATION_POLICY`
 * (checked by the app), its API Gateway resource policy and the execute-api VPC endpoint policy. All three
 * are generated from the same `TokenizerPrincipal[]`, so they cannot drift apart.
 */

/**
 * Permission names of the tokenizer's authorization policy (`AUTHORIZATION_POLICY.principals[].permissions`,
 * tokenizer-service/authorization-policy.schema.json).
 */
export const tokenizerPermissions = [
  'tokenize',
  // Deterministic tokens (a value oracle): granted on its own, never implied by `tokenize`.
  'tokenize:deterministic',
  'detokenize',
  'detokenize:masked',
  'metadata:read',
  'delete',
  'verify',
  // Lifts a token's verify lock: the security team's.
  'verify:reset',
] as const;
/** Forwarding through one connection (`forward:payments`): one permission per connection, never a wildcard. */
export type ForwardPermission = `forward:${string}`;
export type TokenizerPermission = (typeof tokenizerPermissions)[number] | ForwardPermission;

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface TokenizerRoute {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Path as the contract writes it (`/v1/tokens/{token}`). */
  readonly path: string;
  /**
   * A caller needs one of these (as tokenizer-service/src/http/operation-access.ts decides); empty for the
   * health probes, open to every listed principal, and for forward, whose permission names the connection.
   */
  readonly anyOf: readonly TokenizerPermission[];
  /** Forward: the `{connection}` path parameter names the permission (`forward:<connection>`). */
  readonly perConnection?: true;
}

/**
 * Every operation of `contracts/tokenizer.openapi.yaml`, with the permission that guards it. Kept explicit
 * (not derived from the contract at synth) so that a new route cannot become callable before somebody
 * decides which permission guards it; `test/tokenizer-access.test.ts` fails when this table and the
 * contract disagree.
 */
export const tokenizerRoutes: readonly TokenizerRoute[] = [
  // The tokenizer then checks the body: deterministic items need `tokenize:deterministic`, others `tokenize`.
  {
    operationId: 'tokenize',
    method: 'POST',
    path: '/v1/tokens',
    anyOf: ['tokenize', 'tokenize:deterministic'],
  },
  {
    operationId: 'tokenizeBatch',
    method: 'POST',
    path: '/v1/tokens/batch',
    anyOf: ['tokenize', 'tokenize:deterministic'],
  },
  {
    operationId: 'detokenize',
    method: 'POST',
    path: '/v1/detokenize',
    anyOf: ['detokenize', 'detokenize:masked'],
  },
  { operationId: 'getTokenMetadata', method: 'GET', path: '/v1/tokens/{token}', anyOf: ['metadata:read'] },
  { operationId: 'deleteToken', method: 'DELETE', path: '/v1/tokens/{token}', anyOf: ['delete'] },
  { operationId: 'verify', method: 'POST', path: '/v1/tokens/{token}/verify', anyOf: ['verify'] },
  {
    operationId: 'resetVerifyLock',
    method: 'DELETE',
    path: '/v1/tokens/{token}/verify-lock',
    anyOf: ['verify:reset'],
  },
  {
    operationId: 'forward',
    method: 'POST',
    path: '/v1/connections/{connection}/forward',
    anyOf: [],
    perConnection: true,
  },
  { operationId: 'live', method: 'GET', path: '/health/live', anyOf: [] },
  { operationId: 'ready', method: 'GET', path: '/health/ready', anyOf: [] },
];

/** A caller of the tokenizer: an IAM role, the tenant its tokens belong to, and what it may do. */
export interface TokenizerPrincipal {
  /** Human name, used in statement ids. */
  readonly name: string;
  /** Role ARN (may contain CloudFormation tokens: partition, account, region). */
  readonly roleArn: string;
  readonly tenant: string;
  readonly permissions: readonly TokenizerPermission[];
  /**
   * The routes it calls, each allowed by its permissions: the only routes the resource policy and the
   * execute-api endpoint policy let it invoke (a permission may allow more, e.g. `tokenize` the batch route).
   */
  readonly calls: readonly TokenizerRoute[];
}

/**
 * The routes a principal may call: those its permissions allow, plus the health probes; forward once per
 * connection it holds `forward:<connection>` for (see forwardRoute).
 */
export function routesFor(principal: TokenizerPrincipal): TokenizerRoute[] {
  return tokenizerRoutes.flatMap((r) => {
    if (r.perConnection) {
      return principal.permissions
        .filter((p) => p.startsWith(forwardPrefix))
        .map((p) => forwardRoute(p.slice(forwardPrefix.length)));
    }
    return r.anyOf.length === 0 || r.anyOf.some((permission) => principal.permissions.includes(permission))
      ? [r]
      : [];
  });
}

const forwardPrefix = 'forward:';

/** Forward through one connection: the route with its `{connection}` filled, guarded by `forward:<connection>`. */
export function forwardRoute(connection: string): TokenizerRoute {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(connection))
    throw new Error(`Invalid connection name "${connection}"`);
  const template = tokenizerRoutes.find((r) => r.perConnection) as TokenizerRoute;
  return {
    operationId: template.operationId,
    method: template.method,
    path: template.path.replace('{connection}', connection),
    anyOf: [`${forwardPrefix}${connection}`],
  };
}

/** Throws unless every route in `routes` is allowed by the principal's permissions. */
export function assertRoutesAllowed(principal: TokenizerPrincipal, routes: readonly TokenizerRoute[]): void {
  const allowed = routesFor(principal);
  for (const route of routes) {
    if (!allowed.some((r) => r.method === route.method && r.path === route.path)) {
      throw new Error(
        `Principal "${principal.name}" calls ${route.method} ${route.path}, which its permissions ` +
          `(${principal.permissions.join(', ')}) do not allow`,
      );
    }
  }
}

export function route(method: HttpMethod, path: string): TokenizerRoute {
  const found = tokenizerRoutes.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`No tokenizer route ${method} ${path}`);
  return found;
}

/** The value of the tokenizer's `AUTHORIZATION_POLICY` environment variable (before JSON encoding). */
export interface AuthorizationPolicy {
  readonly principals: readonly {
    readonly arn: string;
    readonly tenant: string;
    readonly permissions: readonly TokenizerPermission[];
    readonly description: string;
  }[];
}

export function authorizationPolicy(principals: readonly TokenizerPrincipal[]): AuthorizationPolicy {
  validatePrincipals(principals);
  return {
    principals: principals.map((p) => ({
      arn: p.roleArn,
      tenant: p.tenant,
      permissions: [...p.permissions],
      description: p.name,
    })),
  };
}

/**
 * The route's path as execute-api resource ARNs match it: path parameters become `*`
 * (`/v1/tokens/{token}` → `/v1/tokens/*`); a literal `{token}` would match no request.
 */
export function invokePath(r: TokenizerRoute): string {
  return r.path.replace(/\{[^}]+\}/g, '*');
}

/** `execute-api:/{stage}/{METHOD}/{path}`: path parameters become `*`. */
export function resourcePolicyRouteArn(stageName: string, r: TokenizerRoute): string {
  return `execute-api:/${stageName}/${r.method}${invokePath(r)}`;
}

export interface ResourcePolicyOptions {
  readonly principals: readonly TokenizerPrincipal[];
  /** The execute-api interface endpoint the API may be reached through. */
  readonly vpcEndpointId: string;
  readonly stageName: string;
}

/**
 * The private API's resource policy. API Gateway allows a same-account call when either the caller's IAM
 * policy or the resource policy allows it, so the explicit denies carry the guarantees:
 * 1. nothing that does not come through the VPC endpoint;
 * 2. no principal outside the list;
 * 3. no principal outside the routes it calls (its `calls`, each allowed by its permissions).
 * Principals are matched with `aws:PrincipalArn` conditions rather than `Principal` elements: a role of the
 * application stack does not exist yet when this stack deploys first, and a condition needs no lookup.
 */
export function tokenizerResourcePolicy(options: ResourcePolicyOptions): PolicyDocument {
  const { principals, vpcEndpointId, stageName } = options;
  validatePrincipals(principals);
  const everything = 'execute-api:/*';
  const statements: PolicyStatement[] = [
    new PolicyStatement({
      sid: 'DenyUnlessThroughTheVpcEndpoint',
      effect: Effect.DENY,
      principals: [new StarPrincipal()],
      actions: ['execute-api:Invoke'],
      resources: [everything],
      conditions: { StringNotEquals: { 'aws:SourceVpce': vpcEndpointId } },
    }),
    new PolicyStatement({
      sid: 'DenyUnlistedPrincipals',
      effect: Effect.DENY,
      principals: [new StarPrincipal()],
      actions: ['execute-api:Invoke'],
      resources: [everything],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': principals.map((p) => p.roleArn) } },
    }),
  ];
  for (const principal of principals) {
    const routes = principal.calls.map((r) => resourcePolicyRouteArn(stageName, r));
    statements.push(
      new PolicyStatement({
        sid: `Deny${statementId(principal.name)}OutsideItsRoutes`,
        effect: Effect.DENY,
        principals: [new StarPrincipal()],
        actions: ['execute-api:Invoke'],
        notResources: routes,
        conditions: { ArnEquals: { 'aws:PrincipalArn': principal.roleArn } },
      }),
      new PolicyStatement({
        sid: `Allow${statementId(principal.name)}`,
        principals: [new StarPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: routes,
        conditions: {
          StringEquals: { 'aws:SourceVpce': vpcEndpointId },
          ArnEquals: { 'aws:PrincipalArn': principal.roleArn },
        },
      }),
    );
  }
  return new PolicyDocument({ statements });
}

/**
 * Statements of the execute-api VPC endpoint policy: each principal may invoke the routes it calls on any API
 * of this account and region (the API id is not known to the network stack, which deploys first).
 */
export function executeApiEndpointStatements(options: {
  readonly principals: readonly TokenizerPrincipal[];
  readonly stageName: string;
  /** `arn:{partition}:execute-api:{region}:{account}` */
  readonly executeApiArnPrefix: string;
}): PolicyStatement[] {
  validatePrincipals(options.principals);
  return options.principals.map(
    (principal) =>
      new PolicyStatement({
        sid: `Invoke${statementId(principal.name)}Routes`,
        principals: [new StarPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: principal.calls.map(
          (r) => `${options.executeApiArnPrefix}:*/${options.stageName}/${r.method}${invokePath(r)}`,
        ),
        conditions: { ArnEquals: { 'aws:PrincipalArn': principal.roleArn } },
      }),
  );
}

function statementId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

function validatePrincipals(principals: readonly TokenizerPrincipal[]): void {
  if (principals.length === 0) throw new Error('The tokenizer needs at least one principal');
  const names = new Set<string>();
  for (const p of principals) {
    if (names.has(p.name)) throw new Error(`Duplicate tokenizer principal "${p.name}"`);
    names.add(p.name);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(p.tenant)) {
      throw new Error(`Tokenizer principal "${p.name}" has an invalid tenant "${p.tenant}"`);
    }
    if (p.permissions.length === 0) throw new Error(`Tokenizer principal "${p.name}" has no permissions`);
    if (p.calls.length === 0) throw new Error(`Tokenizer principal "${p.name}" calls no route`);
    assertRoutesAllowed(p, p.calls);
  }
}
