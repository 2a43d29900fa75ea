/** The one size format and HTML escape that logs, pages and the CLI share (lambdas/shared/format.ts). */
import { describe, expect, it } from 'vitest';
import { escapeHtml, formatBytes } from '../../../lambdas/shared/format';

describe('formatBytes', () => {
  it('steps by 1024 with one decimal above bytes', () => {
    expect(formatBytes(830)).toBe('830 B');
    expect(formatBytes(1229)).toBe('1.2 kB');
    expect(formatBytes(4 * 1024 ** 2)).toBe('4.0 MB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GB');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2.0 TB');
  });

  it('rounds a fractional byte count (an average) to whole bytes', () => {
    expect(formatBytes(12.6)).toBe('13 B');
  });
});

describe('escapeHtml', () => {
  it('escapes every character that could open a tag or end an attribute', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });
});
