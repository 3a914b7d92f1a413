import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, InvokeMode, type FunctionUrl, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { MIN_KEY_BYTES } from '../../core/approval/keys';
import { acknowledge } from '../nag';

/** Length of the generated key: letters and digits only, so its bytes are its characters. */
export const SIGNING_KEY_CHARS = 64;

export interface ApprovalSigningKeyProps {
  readonly envName: string;
}

/** The HMAC key that signs approval links: generated in Secrets Manager, read by request-approval and the approval endpoint only. */
export class ApprovalSigningKey extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: ApprovalSigningKeyProps) {
    super(scope, id);
    if (SIGNING_KEY_CHARS < MIN_KEY_BYTES) throw new Error(`the approval signing key must be at least ${MIN_KEY_BYTES} bytes`);
    this.secret = new Secret(this, 'Secret', {
      description: `flowir ${props.envName}: HMAC-SHA256 key of the approval links`,
      generateSecretString: { passwordLength: SIGNING_KEY_CHARS, excludePunctuation: true, includeSpace: false },
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'The approval-link key is rotated by putting a new secret value: links signed with the AWSPREVIOUS version still verify, and every link expires with its approval (7 days at most), so no rotation Lambda is needed.',
    );
  }

  /** Read the key (GetSecretValue only: the handlers read its AWSCURRENT and AWSPREVIOUS versions). */
  grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.secret.secretArn] });
  }
}

/**
 * The approval endpoint's public HTTPS URL, with no AWS authentication (auth NONE): approvers open
 * it from an e-mail, on any device, without AWS credentials. The link itself is the credential:
 * HMAC-SHA256 signed with {@link ApprovalSigningKey}, naming one approver and one approval,
 * expiring with the approval timeout, and accepted once; GET decides nothing (mail scanners
 * prefetch links), only a same-origin POST does, and a forged, altered, expired or used link is
 * refused before anything reaches Step Functions. (cdk-nag's AwsSolutions pack has no rule on
 * function URL authentication to acknowledge; this is the justification a reviewer reads.)
 */
export function approvalEndpointUrl(endpoint: IFunction): FunctionUrl {
  return endpoint.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.BUFFERED });
}
