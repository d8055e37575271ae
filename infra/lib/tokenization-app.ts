import type { App } from 'aws-cdk-lib';
import { DEFAULT_CROSS_STACK_REFERENCES as crossStackReferencesFlag } from 'aws-cdk-lib/cx-api';
import { ApplicationStack } from './application-stack.js';
import { addComplianceChecks } from './compliance.js';
import { readDeploymentConfig } from './deployment-config.js';
import { readForwardingConfig } from './forwarding-config.js';
import { NetworkStack } from './network-stack.js';
import { ResourceNames } from './resource-names.js';
import type { LambdaCodeMode } from './service-function.js';
import { orderServiceClient } from './tokenizer-clients.js';
import { TokenizerStack } from './tokenizer-stack.js';

export interface TokenizationStacks {
  readonly network: NetworkStack;
  readonly tokenizer: TokenizerStack;
  readonly application: ApplicationStack;
}

/**
 * The whole deployment: network, then the security team's tokenizer, then the order application.
 *
 * Cross-stack references only point backwards (application -> tokenizer -> network) and are CloudFormation
 * exports (see requireStrongCrossStackReferences), so `cdk deploy --all` deploys in that order and
 * `cdk destroy --all` in the reverse one. The one reference that
 * would point forwards, the order role's ARN in the tokenizer's policies, is computed from a fixed role name
 * (ResourceNames) that the application stack then gives its role: the tokenizer stack deploys first and the
 * resource policy matches the ARN with an `aws:PrincipalArn` condition, which does not need the role to exist.
 *
 * Stacks are environment-agnostic (no account/region lookups), so they synthesize offline; the VPC gets two
 * availability zones from `Fn::GetAZs` at deploy time.
 */
export function buildTokenizationApp(
  app: App,
  options: { readonly codeMode?: LambdaCodeMode } = {},
): TokenizationStacks {
  requireStrongCrossStackReferences(app);
  const config = readDeploymentConfig(app.node);
  const forwarding = readForwardingConfig(app.node);
  const codeMode = options.codeMode ?? codeModeFromContext(app);
  const names = new ResourceNames(config.prefix);
  const orderClient = orderServiceClient(names);
  const tokenizerClients = [orderClient];
  const description = (what: string) => `Serverless tokenization: ${what}`;

  const network = new NetworkStack(app, 'Network', {
    stackName: names.networkStack,
    description: description('VPC, endpoints, flow logs'),
    names,
    stageName: config.stageName,
    tokenizerClients,
    setApiGatewayAccountLogging: config.setApiGatewayAccountLogging,
    forwarding: forwarding && { natGatewayPerAz: forwarding.natGatewayPerAz },
  });
  const tokenizer = new TokenizerStack(app, 'Tokenizer', {
    stackName: names.tokenizerStack,
    description: description('tokenizer, vault key and table, private API (security team)'),
    names,
    codeMode,
    vpc: network.vpc,
    executeApiEndpoint: network.executeApiEndpoint,
    kmsEndpoint: network.kmsEndpoint,
    functionSecurityGroup: network.tokenizerFunctionSecurityGroup,
    auditForwarderSecurityGroup: network.auditForwarderSecurityGroup,
    forwarding:
      forwarding && network.forwarderSecurityGroup
        ? { config: forwarding, securityGroup: network.forwarderSecurityGroup }
        : undefined,
    principals: tokenizerClients,
    stageName: config.stageName,
    logLevel: config.logLevel,
    reservedConcurrency: {
      tokenizer: config.reservedConcurrency?.tokenizer,
      auditForwarder: config.reservedConcurrency?.auditForwarder,
    },
    throttling: config.throttling,
    deterministicTokenizationsPerMinute: config.deterministicTokenizationsPerMinute,
  });
  const application = new ApplicationStack(app, 'Application', {
    stackName: names.applicationStack,
    description: description('order service, Cognito, public API (application team)'),
    names,
    codeMode,
    vpc: network.vpc,
    functionSecurityGroup: network.orderFunctionSecurityGroup,
    tokenizerApi: tokenizer.api,
    tokenizerClient: orderClient,
    stageName: config.stageName,
    logLevel: config.logLevel,
    reservedConcurrency: config.reservedConcurrency?.order,
    selfSignUp: config.selfSignUp,
    corsAllowedOrigins: config.corsAllowedOrigins,
    wafRateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
    throttling: config.throttling,
  });
  addComplianceChecks(app);
  return { network, tokenizer, application };
}

/**
 * Cross-stack references must be CloudFormation exports (`Fn::ImportValue`): CloudFormation tracks them, so
 * a producer cannot change or delete a value a consumer still imports. Weak references
 * (`Fn::GetStackOutput`) are read only when the consumer deploys, and `cdk deploy --all` skips an unchanged
 * consumer: a replaced VPC endpoint would leave the tokenizer API bound to the old one (every call 403).
 */
function requireStrongCrossStackReferences(app: App): void {
  const value: unknown = app.node.tryGetContext(crossStackReferencesFlag);
  // Unset behaves as "strong".
  if (value !== undefined && value !== 'strong') {
    throw new Error(
      `Context "${crossStackReferencesFlag}" must be "strong" (CloudFormation exports), got ${JSON.stringify(value)}`,
    );
  }
}

function codeModeFromContext(app: App): LambdaCodeMode {
  const value: unknown = app.node.tryGetContext('tokenization:lambdaCode') ?? 'bundle';
  if (value !== 'bundle' && value !== 'stub') {
    throw new Error(
      `Context "tokenization:lambdaCode" must be "bundle" or "stub", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
