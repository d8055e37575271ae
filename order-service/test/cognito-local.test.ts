// The sample's flow end to end against cognito-local, the local stack's user pool: sign-up, confirm with the
// code it prints, initiate-auth, then /order and /paybill with the ID token it issued.
import t from 'tap';
import { startCognitoLocal } from './helpers/cognito-local.js';
import { assertNoCardNumberLogged, createOrderStack, sampleOrder } from './helpers/order-stack.js';

t.test('sign-up, confirm, initiate-auth, then create and pay an order with the ID token', async (t) => {
  const cognito = await startCognitoLocal(t);
  const { UserPool } = await cognito.call<{ UserPool: { Id: string } }>('CreateUserPool', {
    PoolName: 'orders',
    AutoVerifiedAttributes: ['email'],
  });
  const { UserPoolClient } = await cognito.call<{ UserPoolClient: { ClientId: string } }>(
    'CreateUserPoolClient',
    {
      UserPoolId: UserPool.Id,
      ClientName: 'order-app',
    },
  );
  const ClientId = UserPoolClient.ClientId;
  const username = 'alice@example.com';
  const password = 'Corr3ct-Horse!';

  const { UserSub } = await cognito.call<{ UserSub: string }>('SignUp', {
    ClientId,
    Username: username,
    Password: password,
    UserAttributes: [{ Name: 'email', Value: username }],
  });
  await cognito.call('ConfirmSignUp', {
    ClientId,
    Username: username,
    ConfirmationCode: await cognito.confirmationCode(username),
  });
  const { AuthenticationResult } = await cognito.call<{
    AuthenticationResult: { IdToken: string; AccessToken: string };
  }>('InitiateAuth', {
    ClientId,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });

  const stack = await createOrderStack(t, {
    env: {
      COGNITO_ENDPOINT: cognito.endpoint,
      COGNITO_USER_POOL_ID: UserPool.Id,
      COGNITO_CLIENT_ID: ClientId,
    },
  });
  const created = await stack.request('POST', '/order', {
    token: AuthenticationResult.IdToken,
    body: sampleOrder(),
  });
  t.equal(created.status, 200, 'the ID token cognito-local issued is accepted');
  t.match((await stack.orderItems())[0], { owner: { S: UserSub } }, "the order belongs to the user's sub");

  const withAccessToken = await stack.request('GET', '/order/123456789', {
    token: AuthenticationResult.AccessToken,
  });
  t.equal(withAccessToken.status, 401, 'an access token is not an ID token');

  const paid = await stack.request('POST', '/paybill', {
    token: AuthenticationResult.IdToken,
    body: { CustomerOrder: '123456789' },
  });
  t.same(paid.json(), {
    message: 'Payment Submitted Successfully',
    'CreditCard Charged': '************1111',
  });
});

assertNoCardNumberLogged(t);
