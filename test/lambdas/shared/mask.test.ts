/** The one contact masker: ack notices, ack pages, plan, doctor and oncall print the same "+1…23". */
import { describe, expect, it } from 'vitest';
import { maskContact, maskEmail, maskPhone } from '../../../lambdas/shared/mask';

describe('maskContact', () => {
  it('keeps the "+", the first digit and the last 2 digits of a number, whatever its spacing', () => {
    expect(maskPhone('+15555550123')).toBe('+1…23');
    expect(maskPhone('+44 7700 900123')).toBe('+4…23');
    expect(maskContact('+4915112345678')).toBe('+4…78');
  });

  it('keeps the first letter and the domain of an address', () => {
    expect(maskEmail('alice@example.com')).toBe('a…@example.com');
    expect(maskContact('oncall@example.com')).toBe('o…@example.com');
  });

  it('gives nothing away from a value too short to mask or without a local part', () => {
    expect(maskPhone('12345')).toBe('…');
    expect(maskEmail('@example.com')).toBe('…');
  });

  it('never shows the middle digits or the local part', () => {
    for (const contact of ['+15555550123', 'alice.smith@example.com']) {
      const masked = maskContact(contact);
      expect(masked).not.toContain('5555501');
      expect(masked).not.toContain('lice.smith');
    }
  });
});
