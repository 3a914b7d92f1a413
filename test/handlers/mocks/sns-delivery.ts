/**
 * Which subscriptions SNS delivers a published message to, for the filter policies flowir uses:
 * exact string values on message attributes. A subscription without a filter policy gets every
 * message of its topic; with one (scope MessageAttributes, the default), a message is delivered
 * only when every key of the policy names one of the message's attributes and at least one of the
 * key's values matches that attribute's value, case-sensitively. Sources:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html,
 * https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html,
 * https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html,
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html.
 * Anything else (operators, body scope, attributes on a JSON-structured message, whose delivery
 * the docs leave open) is refused rather than guessed.
 */

export interface SubscriptionSpec {
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly filterPolicy?: Readonly<Record<string, readonly unknown[]>>;
  readonly filterPolicyScope?: string;
}

export interface PublishedMessage {
  readonly topicArn: string;
  readonly message: string;
  readonly structure: string | undefined;
  readonly attributes: Readonly<Record<string, { DataType?: string; StringValue?: string }>> | undefined;
}

export function accepts(subscription: SubscriptionSpec, published: PublishedMessage): boolean {
  if (subscription.topicArn !== published.topicArn) return false;
  const policy = subscription.filterPolicy;
  if (policy === undefined) return true;
  if ((subscription.filterPolicyScope ?? 'MessageAttributes') !== 'MessageAttributes') throw new Error(`filter policy scope ${String(subscription.filterPolicyScope)} is not modelled`);
  const attributes = published.attributes ?? {};
  if (published.structure === 'json' && Object.keys(attributes).length > 0) throw new Error('attribute filtering of a JSON-structured message is not modelled');
  return Object.entries(policy).every(([key, allowed]) => {
    for (const v of allowed) if (typeof v !== 'string') throw new Error(`filter operator ${JSON.stringify(v)} is not modelled`);
    const a = attributes[key];
    if (a === undefined || a.StringValue === undefined) return false;
    if (a.DataType === 'String') return allowed.includes(a.StringValue);
    if (a.DataType === 'String.Array') return (JSON.parse(a.StringValue) as unknown[]).some((x) => allowed.includes(x));
    return false;
  });
}

/** The messages each endpoint receives, by endpoint. */
export function mailboxes(subscriptions: readonly SubscriptionSpec[], published: readonly PublishedMessage[]): Map<string, PublishedMessage[]> {
  const out = new Map<string, PublishedMessage[]>();
  for (const s of subscriptions) out.set(s.endpoint, [...(out.get(s.endpoint) ?? []), ...published.filter((p) => accepts(s, p))]);
  return out;
}
