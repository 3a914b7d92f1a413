import type { DetectionId } from '../detection/rules';

export type ContainmentActionId = 'waf-ip-set' | 'network-acl-deny' | 'security-group-review';

/** What one containment action does and does not stop, in words the approval page shows. */
export interface ContainmentAction {
  readonly id: ContainmentActionId;
  readonly title: string;
  readonly does: string;
  readonly stops: readonly string[];
  readonly doesNotStop: readonly string[];
  readonly undo: string;
}

export const CONTAINMENT_ACTIONS: Readonly<Record<ContainmentActionId, ContainmentAction>> = {
  'waf-ip-set': {
    id: 'waf-ip-set',
    title: 'Block the source in the WAF IP set',
    does: 'Adds the source address (/32 or /128) to the WAF IP set that the web ACL blocks.',
    stops: ['HTTP and HTTPS requests through the protected front doors: CloudFront, Application Load Balancers, API Gateway, AppSync'],
    doesNotStop: [
      'SSH, RDP, SMB or any other non-HTTP traffic',
      'traffic sent straight to instances, Network Load Balancers or anything without the web ACL',
      'the same attacker from another address',
    ],
    undo: 'The address is removed from the IP set when the block expires.',
  },
  'network-acl-deny': {
    id: 'network-acl-deny',
    title: 'Add a deny entry to the network ACL',
    does: 'Adds an inbound deny entry for the source address to the subnets\' network ACL, ahead of its allow entries.',
    stops: ['all inbound traffic from the source to subnets using that ACL, on every protocol and port, SSH and RDP included'],
    doesNotStop: [
      'traffic to subnets that use another network ACL',
      'connections from inside the VPC, or traffic the ACL already allowed before a lower-numbered rule',
      'the same attacker from another address',
    ],
    undo: 'The deny entry is deleted when the block expires. Each ACL holds few entries (20 per direction by default).',
  },
  'security-group-review': {
    id: 'security-group-review',
    title: 'Open a security-group review ticket',
    does: 'Opens a ticket listing the security groups and rules that let this traffic reach its targets.',
    stops: [],
    doesNotStop: ['anything by itself: nobody changes security groups automatically'],
    undo: 'Nothing to undo.',
  },
};

/** Well-known names for the ports detections watch, for sentences a human reads. */
export const PORT_NAMES: Readonly<Record<number, string>> = { 22: 'SSH', 23: 'Telnet', 80: 'HTTP', 135: 'MS RPC', 139: 'NetBIOS', 443: 'HTTPS', 445: 'SMB', 3389: 'RDP' };

/** The ports of the HTTP(S) front doors WAF guards (CloudFront, ALB, API Gateway listen on these by default). */
export const HTTP_PORTS: ReadonlySet<number> = new Set([80, 443]);

/** The actions proposed for a finding and what they leave open. */
export interface ContainmentProposal {
  readonly actions: readonly ContainmentAction[];
  /** Attack paths this finding shows that the proposed actions do not close. */
  readonly gaps: readonly string[];
  readonly blockDurationSeconds: number;
}

/**
 * What containment will do for a finding: always the WAF block and the security-group review, and
 * a network ACL deny when the config lists the detection (`networkAclDeny`).
 */
export function proposeContainment(
  finding: { readonly detection: DetectionId; readonly port: number | null },
  options: { readonly networkAclDeny: readonly DetectionId[]; readonly blockDurationSeconds: number },
): ContainmentProposal {
  const nacl = options.networkAclDeny.includes(finding.detection);
  const ids: ContainmentActionId[] = nacl ? ['waf-ip-set', 'network-acl-deny', 'security-group-review'] : ['waf-ip-set', 'security-group-review'];
  const gaps: string[] = [];
  if (!nacl) {
    if (finding.port !== null && !HTTP_PORTS.has(finding.port)) {
      const name = PORT_NAMES[finding.port];
      gaps.push(`The traffic targets port ${finding.port}${name ? ` (${name})` : ''}; the WAF block does not stop it. A network ACL deny would (config: incident.networkAclDeny).`);
    } else if (finding.detection === 'PORT_SCAN') {
      gaps.push('A port scan probes many ports; the WAF block covers only HTTP(S) front doors. A network ACL deny would cover every port (config: incident.networkAclDeny).');
    } else {
      gaps.push('Traffic that does not pass through an HTTP(S) front door is not stopped by the WAF block.');
    }
  }
  return { actions: ids.map((id) => CONTAINMENT_ACTIONS[id]), gaps, blockDurationSeconds: options.blockDurationSeconds };
}
