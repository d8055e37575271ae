import {
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  type Method,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IInterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { executionLogGroup, invokeUrl, stageOptions } from './api-stage-logging.js';
import { acknowledge } from './compliance.js';
import { type TokenizerPrincipal, tokenizerResourcePolicy, tokenizerRoutes } from './tokenizer-access.js';

export interface TokenizerApiProps {
  readonly handler: IFunction;
  /**
   * The forwarder: the forward route's only integration. Without it (no connections configured) the API
   * has no forward route at all.
   */
  readonly forwardHandler?: IFunction;
  readonly principals: readonly TokenizerPrincipal[];
  readonly vpcEndpoint: IInterfaceVpcEndpoint;
  readonly stageName: string;
  readonly logsKey: IKey;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
}

/**
 * The tokenizer's PRIVATE REST API: reachable only through the execute-api VPC endpoint, AWS_IAM (SigV4) on
 * every method, one explicit resource per contract path (no `{proxy+}`), and a resource policy generated
 * from the same principal list as the tokenizer's own authorization policy.
 */
export class TokenizerApi extends Construct {
  readonly api: RestApi;
  readonly url: string;
  readonly methods: Method[] = [];

  constructor(scope: Construct, id: string, props: TokenizerApiProps) {
    super(scope, id);
    const stage = stageOptions(this, props);
    this.api = new RestApi(this, 'Api', {
      restApiName: 'tokenizer',
      description: 'Tokenizer (private, IAM-authorized, VPC endpoint only)',
      endpointConfiguration: { types: [EndpointType.PRIVATE], vpcEndpoints: [props.vpcEndpoint] },
      policy: tokenizerResourcePolicy({
        principals: props.principals,
        vpcEndpointId: props.vpcEndpoint.vpcEndpointId,
        stageName: props.stageName,
      }),
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: stage.options,
      cloudWatchRole: false,
    });
    executionLogGroup(this, this.api, props);
    // RestApi adds an `Endpoint` output of its own; the stacks' outputs use the sample's names instead.
    this.api.node.tryRemoveChild('Endpoint');

    const integration = new LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    const forwardIntegration =
      props.forwardHandler &&
      new LambdaIntegration(props.forwardHandler, { proxy: true, allowTestInvoke: false });
    for (const route of tokenizerRoutes) {
      const routeIntegration = route.operationId === 'forward' ? forwardIntegration : integration;
      if (!routeIntegration) continue;
      const resource = this.api.root.resourceForPath(route.path);
      this.methods.push(
        // Each method's invoke permission names that method only: the forwarder can be invoked by forward alone.
        resource.addMethod(route.method, routeIntegration, {
          authorizationType: AuthorizationType.IAM,
          operationName: route.operationId,
        }),
      );
    }
    this.url = invokeUrl(this.api, props.stageName);

    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'The tokenizer validates every request against contracts/tokenizer.openapi.yaml itself (unknown ' +
        'properties rejected, RFC 9457 problem answers). A second JSON Schema draft-4 copy in API Gateway ' +
        'would drift from the contract and answer in another error format.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-COG4',
      'Machine-to-machine API: every method uses AWS_IAM (SigV4) and the resource policy admits only the ' +
        'listed IAM roles through the VPC endpoint. There are no end users, so no Cognito authorizer.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'PRIVATE API: no internet path exists (execute-api VPC endpoint only, resource policy denies every ' +
        'other source) and only listed IAM roles may call it; stage throttling (and reserved concurrency ' +
        'when enabled) caps the rate. The public order API, the only internet entry point, has the web ACL.',
    );
    acknowledge(
      this.api,
      'PCI.DSS.321-APIGWAssociatedWithWAF',
      'PRIVATE API reachable only through the VPC endpoint by listed IAM roles; the internet-facing order ' +
        'API in front of it carries the WAF web ACL.',
    );
    acknowledge(
      this.api,
      'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
      'Caching is deliberately off: detokenize responses carry card numbers, which must never be stored ' +
        'outside the vault, encrypted cache or not.',
    );
    acknowledge(
      this.api,
      'PCI.DSS.321-APIGWSSLEnabled',
      'Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda ' +
        'proxy invoked through the Lambda API with IAM, so there is no backend to present a certificate to.',
    );
  }
}
