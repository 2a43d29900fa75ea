/**
 * No dead links to the docs: every relative link in a Markdown file and every `docs/<page>.md` named in
 * the code, the config schema, the examples or the docs resolves to a file. Pages are renamed when a
 * capability's word changes (docs/development.md, "Names"), and a link written against the old name on
 * another branch must fail here rather than in a reader's browser. Anchors (#section) are not checked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
/** Markdown links `[text](target)`, images included. */
const MD_LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
/** `docs/<page>.md` (optionally docs/adr/…) named in plain text, e.g. an error message or a comment. */
const DOCS_MENTION = /(?<![\w/.-])docs\/[\w./-]+?\.md\b/g;

function trackedFiles(): string[] {
  return (
    execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      // this file's own examples of dead links are not links
      .filter(
        (f) =>
          f !== '' &&
          f !== 'test/repo/links.test.ts' &&
          !f.startsWith('test/fixtures/') &&
          existsSync(join(ROOT, f)),
      )
  );
}

/** Dead relative links of a Markdown file: targets (without anchor) that do not exist. */
function deadMarkdownLinks(file: string, text: string): string[] {
  const dead: string[] = [];
  // code (fenced blocks, `spans`) shows link syntax rather than linking
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  for (const [, target] of prose.matchAll(MD_LINK)) {
    if (target === undefined || /^([a-z][a-z+.-]*:|#|\/)/i.test(target)) continue;
    const path = decodeURI(target.split('#')[0] ?? '');
    if (path !== '' && !existsSync(normalize(join(ROOT, dirname(file), path))))
      dead.push(`${file} → ${target}`);
  }
  return dead;
}

/** `docs/….md` mentions that name no file. */
function deadDocsMentions(file: string, text: string): string[] {
  return [...new Set(text.match(DOCS_MENTION) ?? [])]
    .filter((mention) => !existsSync(join(ROOT, mention)))
    .map((mention) => `${file} → ${mention}`);
}

describe('links to the docs', () => {
  it('the rules catch what they are for', () => {
    expect(
      deadMarkdownLinks(
        'docs/cli.md',
        '[a](alerting.md) [b](no-such-page.md#x) [c](https://x.org/y.md) `[d](url)`',
      ),
    ).toEqual(['docs/cli.md → no-such-page.md#x']);
    expect(
      deadMarkdownLinks('README.md', '![diagram](docs/img/none.png) [ok](docs/alerting.md#levels)'),
    ).toEqual(['README.md → docs/img/none.png']);
    expect(deadDocsMentions('lib/x.ts', "'see docs/alerting.md' and (docs/no-such-page.md)")).toEqual([
      'lib/x.ts → docs/no-such-page.md',
    ]);
  });

  it('every relative Markdown link and every docs/….md mention resolves', () => {
    const files = trackedFiles().filter((f) => /\.(md|ts|mjs|js|json|ya?ml)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const dead: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (file.endsWith('.md')) dead.push(...deadMarkdownLinks(file, text));
      dead.push(...deadDocsMentions(file, text));
    }
    expect(dead).toEqual([]);
  });
});
