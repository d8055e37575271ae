import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  VerificationEmailStyle,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './compliance.js';

export interface OrderUsersProps {
  readonly userPoolName: string;
  /**
   * Self sign-up with email verification (a code by email, confirmed with ConfirmSignUp), as the sample's
   * walkthrough signs users up; off, only administrators create users.
   */
  readonly selfSignUp: boolean;
}

/**
 * The order API's users: a Cognito user pool (self sign-up with email verification, or administrator-created
 * users only; strong passwords, optional TOTP MFA, Plus feature plan with threat protection enforcing) and
 * one public app client using USER_PASSWORD_AUTH, as the sample's curl walkthrough does, without OAuth
 * (no hosted UI flows, callback URLs or scopes: nothing signs in through a browser redirect).
 */
export class OrderUsers extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: OrderUsersProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: props.userPoolName,
      selfSignUpEnabled: props.selfSignUp,
      signInAliases: { email: true },
      autoVerify: { email: true },
      userVerification: { emailStyle: VerificationEmailStyle.CODE },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'MFA is optional by requirement: the walkthrough signs users in with USER_PASSWORD_AUTH from a shell. ' +
        'Every user can enrol TOTP, and the Plus plan threat protection (enforcing) challenges or blocks risky ' +
        'and compromised-credential sign-ins. Make it REQUIRED once a hosted sign-in exists.',
    );
    this.client = this.userPool.addClient('AppClient', {
      userPoolClientName: 'order-api',
      authFlows: { userPassword: true },
      generateSecret: false,
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
  }
}
