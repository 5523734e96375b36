import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './readme-blocks.js';

// npm shows the README without the repository beside it: a relative link to a file the package does not
// ship (the example, the tests, docs/) leads nowhere there. Such links must be absolute repository links.

const REPOSITORY = 'https://github.com/passport-twilio-verify-push/passport-twilio-verify-push';

function readmeLinkTargets(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  // Markdown links and images: [text](target) / ![alt](target).
  return [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

it('links only to anchors, web pages, or the repository; never to a relative path', () => {
  const targets = readmeLinkTargets();
  expect(targets.length).toBeGreaterThan(0);
  const relative = targets.filter((target) => !target.startsWith('#') && !/^https?:\/\//.test(target));
  expect(relative).toEqual([]);
});

it('points repository links at the repository package.json names, files under blob/ and images under raw/', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { repository?: { url?: string } };
  expect(pkg.repository?.url).toBe(`git+${REPOSITORY}.git`);
  const repositoryLinks = readmeLinkTargets().filter((target) => target.startsWith(REPOSITORY));
  expect(repositoryLinks.length).toBeGreaterThan(0);
  for (const link of repositoryLinks) {
    const [, kind, path] = /^[^#]*?\/(blob|raw|tree)\/main\/(.+)$/.exec(link) ?? [];
    expect(kind, link).toBeDefined();
    // The file or folder exists in this repository, so the link is not broken once pushed.
    expect(existsSync(join(repoRoot, path!)), link).toBe(true);
    if (/\.(png|jpe?g|gif|svg)$/.test(path!)) expect(kind, link).toBe('raw');
  }
});
