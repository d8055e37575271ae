// The Lambda entry as API Gateway invokes it: config from the environment, the tokenizer signed with
// credentials from the default provider chain, an API Gateway (REST) event in, a proxy result out.
import t from 'tap';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  sampleOrder,
  tokenizerTestCredentials,
} from './helpers/order-stack.js';

interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

t.test('POST /order and /paybill through the Lambda handler', async (t) => {
  const stack = await createOrderStack(t);
  const { config } = stack;
  Object.assign(process.env, {
    AWS_REGION: config.AWS_REGION,
    ORDER_TABLE_NAME: config.ORDER_TABLE_NAME,
    TOKENIZER_API_URL: config.TOKENIZER_API_URL,
    COGNITO_USER_POOL_ID: config.COGNITO_USER_POOL_ID,
    COGNITO_CLIENT_ID: config.COGNITO_CLIENT_ID,
    COGNITO_ENDPOINT: config.COGNITO_ENDPOINT,
    DYNAMODB_ENDPOINT: config.DYNAMODB_ENDPOINT,
    // Read by the default credential provider chain, as a Lambda role's credentials are.
    AWS_ACCESS_KEY_ID: tokenizerTestCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: tokenizerTestCredentials.secretAccessKey,
    LOG_LEVEL: 'silent',
  });
  const { handler } = await import('../src/lambda.js');
  const invoke = (httpMethod: string, path: string, body: unknown) =>
    handler(
      {
        resource: path,
        path,
        httpMethod,
        // API Gateway passes the header on after its own Cognito authorizer checked it.
        headers: { 'Content-Type': 'application/json', Authorization: stack.idProvider.idToken('alice-sub') },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        requestContext: { stage: 'prod', requestId: 'req-1', httpMethod, path: `/prod${path}` },
        body: JSON.stringify(body),
        isBase64Encoded: false,
      },
      {},
    ) as Promise<ProxyResult>;

  const created = await invoke('POST', '/order', sampleOrder());
  t.equal(created.statusCode, 200);
  t.equal(JSON.parse(created.body).message, 'Order Created Successfully');
  const paid = await invoke('POST', '/paybill', { CustomerOrder: '123456789' });
  t.equal(paid.statusCode, 200);
  t.equal(JSON.parse(paid.body)['CreditCard Charged'], '************1111');
});

assertNoCardNumberLogged(t);
