// Who runs an admin command, for the audit trail: the caller's ARN as AWS sees it (STS GetCallerIdentity
// with the default credential chain). The local stack has no STS: its actor is ADMIN_ACTOR, or `local`.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';

export interface ActorOptions {
  region: string;
  /** True on the local stack (local endpoints configured): no STS to ask. */
  local: boolean;
  /** The local stack's actor name (ADMIN_ACTOR); ignored on AWS, where only STS names the caller. */
  localActor?: string;
  stsEndpoint?: string;
}

/** Resolves the actor once per process (the first admin action asks). */
export function callerActor(options: ActorOptions): () => Promise<string> {
  let actor: Promise<string> | undefined;
  return () => {
    actor ??= resolveActor(options);
    return actor;
  };
}

async function resolveActor(options: ActorOptions): Promise<string> {
  if (options.local && !options.stsEndpoint) return options.localActor || 'local';
  const sts = new STSClient({
    region: options.region,
    ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
  });
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new Error('STS GetCallerIdentity returned no ARN');
    return Arn;
  } catch (error) {
    rethrowAwsUnavailable('sts', error);
  } finally {
    sts.destroy();
  }
}
