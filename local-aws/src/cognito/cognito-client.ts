/** Calls cognito-local's (or Cognito's) JSON 1.1 API, as the AWS CLI's `cognito-idp` commands do. */
export async function cognitoCall<T = Record<string, unknown>>(
  endpoint: string,
  operation: string,
  body: Record<string, unknown>,
): Promise<T> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      // cognito-local wants a SigV4-shaped header; the public operations used here are unsigned on AWS.
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/cognito-idp/aws4_request',
    },
    body: JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { __type?: string; message?: string };
  if (!response.ok)
    throw new Error(`${operation} failed: ${payload.__type ?? response.status} ${payload.message ?? ''}`);
  return payload;
}

/** Sign up, confirm (admin API: there is no mailbox locally) and sign in; returns the ID token. */
export async function signUpAndSignIn(
  endpoint: string,
  userPool: { userPoolId: string; clientId: string },
  user: { email: string; password: string },
): Promise<string> {
  await cognitoCall(endpoint, 'SignUp', {
    ClientId: userPool.clientId,
    Username: user.email,
    Password: user.password,
    UserAttributes: [{ Name: 'email', Value: user.email }],
  });
  await cognitoCall(endpoint, 'AdminConfirmSignUp', {
    UserPoolId: userPool.userPoolId,
    Username: user.email,
  });
  const { AuthenticationResult } = await cognitoCall<{ AuthenticationResult: { IdToken: string } }>(
    endpoint,
    'InitiateAuth',
    {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: userPool.clientId,
      AuthParameters: { USERNAME: user.email, PASSWORD: user.password },
    },
  );
  return AuthenticationResult.IdToken;
}
