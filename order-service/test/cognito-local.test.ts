// The sample's flow end to end against cognito-local with the local stack's seeded user pool: sign-up,
// confirm with the code it prints, initiate-auth, then /order and /paybill with the ID token it issued.
import { cognitoCall, signUpAndSignIn } from '@tokenization/local-aws/cognito-client';
import t from 'tap';
import { startCognitoLocal } from './helpers/cognito-local.js';
import { assertNoCardNumberLogged, createOrderStack, sampleOrder } from './helpers/order-stack.js';

t.test('cognito-local, the local stack user pool', async (t) => {
  const cognito = await startCognitoLocal(t);
  const cognitoEnv = {
    COGNITO_ENDPOINT: cognito.endpoint,
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_ID: cognito.clientId,
  };

  t.test('sign-up, confirm, initiate-auth, then create and pay an order with the ID token', async (t) => {
    const ClientId = cognito.clientId;
    const username = 'alice@example.com';
    const password = 'Corr3ct-Horse!';

    const { UserSub } = await cognitoCall<{ UserSub: string }>(cognito.endpoint, 'SignUp', {
      ClientId,
      Username: username,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: username }],
    });
    // The code a user would read in their mailbox, as cognito-local printed it.
    await cognitoCall(cognito.endpoint, 'ConfirmSignUp', {
      ClientId,
      Username: username,
      ConfirmationCode: await cognito.confirmationCode(username),
    });
    const { AuthenticationResult } = await cognitoCall<{
      AuthenticationResult: { IdToken: string; AccessToken: string };
    }>(cognito.endpoint, 'InitiateAuth', {
      ClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });

    const stack = await createOrderStack(t, { env: cognitoEnv });
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

  t.test('a wrong confirmation code does not confirm the sign-up', async (t) => {
    const username = 'mallory@example.com';
    await cognitoCall(cognito.endpoint, 'SignUp', {
      ClientId: cognito.clientId,
      Username: username,
      Password: 'Corr3ct-Horse!',
      UserAttributes: [{ Name: 'email', Value: username }],
    });
    const code = await cognito.confirmationCode(username);
    const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');
    await t.rejects(
      cognitoCall(cognito.endpoint, 'ConfirmSignUp', {
        ClientId: cognito.clientId,
        Username: username,
        ConfirmationCode: wrong,
      }),
      /CodeMismatchException/,
    );
    await t.rejects(
      cognitoCall(cognito.endpoint, 'InitiateAuth', {
        ClientId: cognito.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: 'Corr3ct-Horse!' },
      }),
      /UserNotConfirmedException/,
      'an unconfirmed user cannot sign in',
    );
  });

  t.test('a user confirmed by the admin API, as the local stack demo signs in, is accepted', async (t) => {
    const idToken = await signUpAndSignIn(
      cognito.endpoint,
      { userPoolId: cognito.userPoolId, clientId: cognito.clientId },
      { email: 'bob@example.com', password: 'Anoth3r-Horse!' },
    );
    const stack = await createOrderStack(t, { env: cognitoEnv });
    const created = await stack.request('POST', '/order', { token: idToken, body: sampleOrder() });
    t.equal(created.status, 200);
    const wrongClient = await createOrderStack(t, {
      env: { ...cognitoEnv, COGNITO_CLIENT_ID: 'anotherappclient' },
    });
    const refused = await wrongClient.request('POST', '/order', { token: idToken, body: sampleOrder() });
    t.equal(refused.status, 401, "another app client's service refuses the token");
  });
});

assertNoCardNumberLogged(t);
