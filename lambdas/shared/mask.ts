/**
 * The one way Nightshift shows a contact it does not want to give away: the acknowledgement notices
 * and ack pages ("acknowledged by +1…23"), `nightshift plan`, `doctor` and `oncall`. Enough to
 * recognise one's own number or address in a list, not enough to dial or harvest it. One format
 * everywhere, so the "+1…23" a team notice names is the "+1…23" `oncall` lists.
 */

/** "+15555550123" → "+1…23": the leading "+" and digit, the last 2 digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  return digits.length <= 5 ? '…' : `${digits.slice(0, 2)}…${digits.slice(-2)}`;
}

/** "alice@example.com" → "a…@example.com". */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '…';
  return `${address[0]}…${address.slice(at)}`;
}

/** An SNS endpoint of either kind: an address (has "@") or a phone number. */
export function maskContact(endpoint: string): string {
  return endpoint.includes('@') ? maskEmail(endpoint) : maskPhone(endpoint);
}
