import { Duration } from 'aws-cdk-lib';
import {
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  type JsonSchema,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  type Method,
  type Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { executionLogGroup, invokeUrl, stageOptions } from './api-stage-logging.js';
import { acknowledge } from './compliance.js';

export interface OrderApiProps {
  readonly handler: IFunction;
  readonly userPool: IUserPool;
  readonly stageName: string;
  readonly logsKey: IKey;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Browser origins answered by the CORS preflight (none: no preflight, no CORS). */
  readonly corsAllowedOrigins: readonly string[];
}

/**
 * Seconds API Gateway caches the Cognito authorizer's decision per Authorization header: none. A cached
 * decision outlives a token's revocation or its user's deletion for that long; the authorizer checks the
 * JWT locally (signature, expiry, audience), so validating every request costs no call to Cognito.
 */
export const authorizerResultsCacheSeconds = 0;

/**
 * Property schemas of the request models: the validation keywords of contracts/order.openapi.yaml's
 * schemas, in JSON Schema draft 4 for API Gateway (test/order-api-contract.test.ts compares them).
 */
const noControlCharacters = '^[^\\u0000-\\u001f\\u007f]+$';
export const orderFieldSchemas = {
  CustomerOrder: { type: JsonSchemaType.STRING, minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
  CustomerName: { type: JsonSchemaType.STRING, minLength: 1, maxLength: 200, pattern: noControlCharacters },
  // 13 to 19 digits, optionally grouped by single spaces or hyphens; the service checks the Luhn digit.
  CreditCard: {
    type: JsonSchemaType.STRING,
    minLength: 13,
    maxLength: 23,
    pattern: '^[0-9]+(?:[ -][0-9]+)*$',
  },
  Address: { type: JsonSchemaType.STRING, minLength: 1, maxLength: 500, pattern: noControlCharacters },
} satisfies Record<string, JsonSchema>;

/**
 * The order service's public REGIONAL REST API: a Cognito user pool authorizer on every method, request
 * validation of bodies and parameters (first line; the service validates against its contract again),
 * JSON access logs, throttling. The WAF web ACL is attached by the application stack.
 *
 * Routes (contracts/order.openapi.yaml): POST /order, GET /order/{CustomerOrder}, POST /paybill.
 */
export class OrderApi extends Construct {
  readonly api: RestApi;
  readonly url: string;
  readonly methods: Method[] = [];

  constructor(scope: Construct, id: string, props: OrderApiProps) {
    super(scope, id);
    const stage = stageOptions(this, props);
    this.api = new RestApi(this, 'Api', {
      restApiName: 'order',
      description: 'Order service (Cognito-authorized)',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      deployOptions: stage.options,
      cloudWatchRole: false,
      ...(props.corsAllowedOrigins.length > 0
        ? {
            // Preflight only (an OPTIONS mock integration echoing a listed Origin); the service's answers carry
            // Access-Control-Allow-Origin themselves. Never "*": origins are configured explicitly.
            defaultCorsPreflightOptions: {
              allowOrigins: [...props.corsAllowedOrigins],
              allowMethods: ['GET', 'POST'],
              allowHeaders: ['Authorization', 'Content-Type'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });
    executionLogGroup(this, this.api, props);
    // RestApi adds an `Endpoint` output of its own; the stacks' outputs use the sample's names instead.
    this.api.node.tryRemoveChild('Endpoint');

    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: Duration.seconds(authorizerResultsCacheSeconds),
    });
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    const secured = { authorizationType: AuthorizationType.COGNITO, authorizer, requestValidator: validator };

    const order = this.api.root.addResource('order');
    this.methods.push(
      order.addMethod('POST', integration, {
        ...secured,
        operationName: 'createOrder',
        requestModels: { 'application/json': this.createOrderModel() },
      }),
      order.addResource('{CustomerOrder}').addMethod('GET', integration, {
        ...secured,
        operationName: 'getOrder',
        requestParameters: { 'method.request.path.CustomerOrder': true },
      }),
      this.api.root.addResource('paybill').addMethod('POST', integration, {
        ...secured,
        operationName: 'payBill',
        requestModels: { 'application/json': this.payBillModel() },
      }),
    );
    this.url = invokeUrl(this.api, props.stageName);
    for (const preflight of this.api.methods.filter((m) => m.httpMethod === 'OPTIONS')) {
      const reason =
        'CORS preflight: browsers send OPTIONS without credentials, so it cannot carry the Cognito token; ' +
        'it is a mock integration that only answers the listed origins, methods and headers, and never ' +
        'reaches the function or any data.';
      acknowledge(preflight, 'AwsSolutions-APIG4', reason);
      acknowledge(preflight, 'AwsSolutions-COG4', reason);
    }

    acknowledge(
      this.api,
      'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
      'Caching is deliberately off: answers are per-user order data behind a Cognito authorizer; a stage ' +
        'cache keyed on the path would serve one customer the order of another.',
    );
    acknowledge(
      this.api,
      'PCI.DSS.321-APIGWSSLEnabled',
      'Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda ' +
        'proxy invoked through the Lambda API with IAM, so there is no backend to present a certificate to.',
    );
  }

  private createOrderModel(): Model {
    return this.api.addModel('CreateOrder', {
      contentType: 'application/json',
      modelName: 'CreateOrder',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: 'CreateOrder',
        type: JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['CustomerOrder', 'CustomerName', 'CreditCard', 'Address'],
        properties: orderFieldSchemas,
      },
    });
  }

  private payBillModel(): Model {
    return this.api.addModel('PayBill', {
      contentType: 'application/json',
      modelName: 'PayBill',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: 'PayBill',
        type: JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['CustomerOrder'],
        properties: { CustomerOrder: orderFieldSchemas.CustomerOrder },
      },
    });
  }
}
