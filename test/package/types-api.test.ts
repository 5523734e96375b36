/**
 * The public types as a TypeScript app meets them, compiled by tsc (vitest strips types without checking them):
 * the constructor pairs `passReqToCallback` with the verify callback's shape, this strategy's authenticate
 * options are a typed object Passport takes, the session data type fits express-session's declaration merging,
 * and the declarations name nothing internal.
 *
 * One consumer file, compiled twice: against the source (src/index.ts) and against the build (the package by
 * its name, resolving to dist/ through the exports map). Each expected error is written
 * `// @ts-expect-error TSnnnn why`, so the compile fails when one does not occur; a second compile without the
 * directives checks that each of those lines fails with the code it names, so no expectation can pass on an
 * unrelated error (an import that did not resolve, say).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, assertBuilt } from './package-paths.js';

const execFileAsync = promisify(execFile);
const NAME = 'passport-twilio-verify-push';
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** Inside the package (test-output/ is ignored by git), so the package's own name resolves to its build. */
const WORK_DIR = join(PACKAGE_ROOT, 'test-output', 'types-api');

/** Classes and wiring types of the layers behind the strategy: an app never names them. */
const INTERNAL_NAMES = ['LoginFlow', 'Poller', 'OutcomeRecorder', 'StrategyParts', 'VerifyApi', 'VerifyPort'];
/** Names the package once exported and no longer does. */
const UNEXPORTED_NAMES = ['createEventsHandler', 'EventsDeps', 'WaitStatusSource', 'TwilioChallenge'];

/** The consumer, importing the package from `from`. Expected errors sit on one line each, below their directive. */
function consumerSource(from: string): string {
  return `import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { expectTypeOf } from 'vitest';
import {
  VerifyPushStrategy,
  type ApprovedChallenge,
  type VerifyDone,
  type VerifyPushAuthenticateOptions,
  type VerifyPushOptions,
  type VerifyPushRequest,
  type VerifyPushSessionData,
} from '${from}';
// Wiring the strategy builds for itself, and internal Twilio shapes, are not exported.
${UNEXPORTED_NAMES.map((name) => `// @ts-expect-error TS2305 ${name} is not public\nimport type { ${name} } from '${from}';`).join('\n')}

declare module 'express-session' {
  interface SessionData {
    verifyPush?: VerifyPushSessionData;
  }
}

interface AppUser {
  id: string;
  name: string;
}
const options = { serviceSid: 'VA${'0'.repeat(32)}', identitySecret: 'an identity secret of 32 characters or more' };

// passReqToCallback: true goes with verify(req, user, challenge, done), req typed as the package's request.
new VerifyPushStrategy<AppUser>({ ...options, passReqToCallback: true }, (req, user, challenge, done) => {
  expectTypeOf(req).toEqualTypeOf<VerifyPushRequest>();
  expectTypeOf(user).toEqualTypeOf<AppUser>();
  expectTypeOf(challenge).toEqualTypeOf<ApprovedChallenge>();
  expectTypeOf(done).toEqualTypeOf<VerifyDone<AppUser>>();
  done(null, user);
});
// The user type is inferred from getUser as well.
const getUser = (req: VerifyPushRequest) => req.user as AppUser | undefined;
new VerifyPushStrategy({ ...options, getUser, passReqToCallback: true }, (req, user, _challenge, done) => {
  expectTypeOf(req).toEqualTypeOf<VerifyPushRequest>();
  expectTypeOf(user).toEqualTypeOf<AppUser>();
  done(null, user);
});

// Without it (or with false), verify(user, challenge, done), or no verify callback at all.
new VerifyPushStrategy<AppUser>(options, (user, challenge, done) => {
  expectTypeOf(user).toEqualTypeOf<AppUser>();
  expectTypeOf(challenge).toEqualTypeOf<ApprovedChallenge>();
  done(null, user);
});
new VerifyPushStrategy<AppUser>({ ...options, passReqToCallback: false }, (user, _challenge, done) => done(null, user));
new VerifyPushStrategy(options);
// Options typed as the public VerifyPushOptions (passReqToCallback: boolean), with no verify callback.
const typedOptions: VerifyPushOptions<AppUser> = { ...options };
new VerifyPushStrategy<AppUser>(typedOptions);

// A mismatch is a type error, both ways round.
// @ts-expect-error TS2769 passReqToCallback: true with verify(user, challenge, done)
new VerifyPushStrategy<AppUser>({ ...options, passReqToCallback: true }, (user: AppUser, _challenge: ApprovedChallenge, done: VerifyDone<AppUser>) => done(null, user));
// @ts-expect-error TS2769 no passReqToCallback with verify(req, user, challenge, done)
new VerifyPushStrategy<AppUser>(options, (_req: VerifyPushRequest, user: AppUser, _challenge: ApprovedChallenge, done: VerifyDone<AppUser>) => done(null, user));
// @ts-expect-error TS2769 passReqToCallback: false with verify(req, user, challenge, done)
new VerifyPushStrategy<AppUser>({ ...options, passReqToCallback: false }, (_req: VerifyPushRequest, user: AppUser, _challenge: ApprovedChallenge, done: VerifyDone<AppUser>) => done(null, user));

// This strategy's authenticate options: a typed object that Passport takes as its own.
const routeOptions: VerifyPushAuthenticateOptions = { gate: true, pending: 'callback', failureRedirect: '/x' };
const asPassportOptions: passport.AuthenticateOptions = routeOptions;
void asPassportOptions;
const app = express();
app.use(session({ secret: 'a session secret', resave: false, saveUninitialized: false }));
app.use(passport.session());
app.post('/login/push', passport.authenticate('verify-push', routeOptions));
// @ts-expect-error TS2561 a typo in this strategy's options
const typo: VerifyPushAuthenticateOptions = { gatee: true };
// @ts-expect-error TS2322 pending is 'respond' or 'callback'
const badPending: VerifyPushAuthenticateOptions = { pending: 'later' };
// @ts-expect-error TS2353 Passport's own options are not widened with this strategy's, for every strategy
const widened: passport.AuthenticateOptions = { gate: true };

// The session data, declared by the app through express-session's SessionData.
app.get('/account', (req, res) => {
  const verifiedAt = req.session.verifyPush?.verified?.at;
  expectTypeOf(verifiedAt).toEqualTypeOf<number | undefined>();
  if (verifiedAt !== undefined) expectTypeOf(verifiedAt).toEqualTypeOf<number>();
  // @ts-expect-error TS2551 only the fields the package keeps
  void req.session.verifyPush?.verifiedAt;
  res.json({ verifiedAt });
});

// expectTypeOf does check here: a wrong expectation fails the compile.
// @ts-expect-error TS2344 the request is not a string
expectTypeOf<VerifyPushRequest>().toEqualTypeOf<string>();

void typo;
void badPending;
void widened;
`;
}

interface Compiled {
  ok: boolean;
  output: string;
}

async function compile(dir: string, source: string): Promise<Compiled> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'api.ts'), source);
  // The repository's own settings (strict, NodeNext, noUncheckedIndexedAccess), as a strict app would have.
  const tsconfig = { extends: relative(dir, join(PACKAGE_ROOT, 'tsconfig.json')), compilerOptions: { noEmit: true }, include: ['api.ts'] };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return execFileAsync(process.execPath, [TSC, '-p', dir, '--pretty', 'false', '--listFiles'], { cwd: dir }).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
}

interface Diagnostic {
  line: number;
  code: string;
}

/** `api.ts(12,5): error TS2769: …` lines, by line and code. */
function diagnostics(output: string): Diagnostic[] {
  return [...output.matchAll(/api\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => ({ line: Number(m[1]), code: m[2]! }));
}

/** Each `// @ts-expect-error TSnnnn` directive: the line below it and the code it names. */
function expectations(source: string): Diagnostic[] {
  return source.split('\n').flatMap((text, index) => {
    const match = /\/\/ @ts-expect-error (TS\d+) /.exec(text);
    return match ? [{ line: index + 2, code: match[1]! }] : [];
  });
}

const DIRECTIVE = '// @ts-expect-error';

/**
 * Compiles the consumer as written (it must pass: every expected error occurred, nothing else failed), then
 * without the directives (each directive's line must fail with the code it names, and no other line may fail).
 */
async function checkConsumer(variant: string, from: string): Promise<{ compiled: string[] }> {
  const source = consumerSource(from);
  const expected = expectations(source);
  expect(expected.length).toBe(source.split(DIRECTIVE).length - 1); // every directive names its code
  const [asWritten, bare] = await Promise.all([
    compile(join(WORK_DIR, variant), source),
    compile(join(WORK_DIR, `${variant}-without-directives`), source.replaceAll(DIRECTIVE, '// expected error:')),
  ]);
  expect(diagnostics(asWritten.output), asWritten.output).toEqual([]);
  expect(asWritten.ok, asWritten.output).toBe(true);

  const found = diagnostics(bare.output);
  expect(bare.ok).toBe(false);
  for (const { line, code } of expected) {
    expect(found.filter((d) => d.line === line).map((d) => d.code), `line ${line} of:\n${bare.output}`).toContain(code);
  }
  const expectedLines = new Set(expected.map((e) => e.line));
  expect(found.filter((d) => !expectedLines.has(d.line)), bare.output).toEqual([]);
  // --listFiles: one compiled file a line.
  const compiled = asWritten.output.split(/\r?\n/).map((line) => line.trim().replaceAll('\\', '/')).filter(Boolean);
  return { compiled };
}

afterAll(async () => {
  await rm(WORK_DIR, { recursive: true, force: true });
});

describe('public types', () => {
  it('hold against the source', { timeout: 120_000 }, async () => {
    const dir = join(WORK_DIR, 'source');
    const from = relative(dir, join(PACKAGE_ROOT, 'src', 'index.js')).replaceAll('\\', '/');
    const { compiled } = await checkConsumer('source', from);
    expect(compiled).toContain(join(PACKAGE_ROOT, 'src', 'index.ts').replaceAll('\\', '/'));
  });

  it('hold against the build, imported by the package name', { timeout: 120_000 }, async () => {
    assertBuilt();
    const { compiled } = await checkConsumer('built', NAME);
    expect(compiled).toContain(join(PACKAGE_ROOT, 'dist', 'index.d.ts').replaceAll('\\', '/'));
    const sourceFolder = `${join(PACKAGE_ROOT, 'src').replaceAll('\\', '/')}/`;
    expect(compiled.filter((file) => file.startsWith(sourceFolder))).toEqual([]);
  });
});

/** A declaration file and every declaration chunk it imports (tsup shares types between entry points). */
async function declarationsOf(entry: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const pending = [join(PACKAGE_ROOT, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    const text = await readFile(file, 'utf8');
    files.set(file, text);
    for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      pending.push(join(dirname(file), match[1]!.replace(/\.(c?)js$/, '.d.$1ts')));
    }
  }
  return files;
}

/** Every name the declaration file's export lists give out (`type X`, `X as Y` count as X and Y). */
function exportedNames(text: string): string[] {
  return [...text.matchAll(/^export \{([^}]*)\};?$/gm)].flatMap((m) =>
    m[1]!.split(',').flatMap((item) => item.replace(/^\s*type\s+/, '').split(/\s+as\s+/).map((name) => name.trim())),
  );
}

describe.each(['dist/index.d.ts', 'dist/index.d.cts'])('%s', (entry) => {
  it('names no internal class or wiring type', async () => {
    assertBuilt();
    const files = await declarationsOf(entry);
    expect(files.size).toBeGreaterThan(0);
    for (const [file, text] of files) {
      for (const name of INTERNAL_NAMES) expect(new RegExp(`\\b${name}\\b`).test(text), `${name} in ${file}`).toBe(false);
    }
  });

  it('exports the strategy and none of the unexported wiring', async () => {
    assertBuilt();
    const text = (await declarationsOf(entry)).get(join(PACKAGE_ROOT, entry))!;
    const names = exportedNames(text);
    expect(names).toContain('VerifyPushStrategy');
    expect(names).toContain('VerifyPushAuthenticateOptions');
    expect(names).toContain('VerifyPushSessionData');
    for (const name of UNEXPORTED_NAMES) expect(names).not.toContain(name);
  });
});
