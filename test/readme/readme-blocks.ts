import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The README's code blocks marked `<!-- readme-test: NAME -->`, by name. */
export function readmeBlocks(): Map<string, string> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = new Map<string, string>();
  const marked = /<!-- readme-test: ([\w-]+) -->\s*```\w*\n([\s\S]*?)```/g;
  for (const match of readme.matchAll(marked)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

/**
 * The app-specific helpers the quick start imports from './my-app.js': the README leaves them to the reader,
 * so the tests that run and type-check the quick start provide this small stand-in.
 */
export const MY_APP = `
const users = [{ id: '7', name: 'ada', password: 'correct horse' }];
export const findUserByName = (name: string) => users.find((u) => u.name === name) ?? false;
export const findUserById = (id: string) => users.find((u) => u.id === id);
export const checkPassword = (name: string, password: string) => users.some((u) => u.name === name && u.password === password);
export const waitingPage = '<h1>Check your phone</h1>';
export const loginPage = '<form method="post" action="/login">…</form>';
`;

/**
 * The app the "Your own app in a test" sample imports from './my-app.js': the quick start's wiring as a
 * function of the strategy and the webhook URL, the shape that sample recommends for a testable app.
 */
export const MY_APP_FACTORY = `
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { VerifyPushStrategy } from 'passport-twilio-verify-push';

interface User { id: string; name: string; password: string }
const users: User[] = [{ id: '7', name: 'ada', password: 'correct horse' }];

export function findUserByName(name: string): User {
  const user = users.find((u) => u.name === name);
  if (!user) throw new Error('no such user');
  return user;
}

export function createApp(push: VerifyPushStrategy, options: { webhookUrl: string }): express.Express {
  const passport = new Passport();
  passport.use(new LocalStrategy((name, password, done) => done(null, users.find((u) => u.name === name && u.password === password) ?? false)));
  passport.use(push);
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, users.find((u) => u.id === id) ?? false));

  const app = express();
  app.post('/twilio/verify-webhook', push.webhook({ url: options.webhookUrl }));
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.post('/login', passport.authenticate('local', { successRedirect: '/account', failureRedirect: '/login' }));
  app.get('/login/push/wait', (_req, res) => res.send('Check your phone'));
  app.get('/login/push/complete', passport.authenticate('verify-push', { successRedirect: '/account', failureRedirect: '/login' }));
  app.use('/account', passport.authenticate('verify-push')); // mounted with use: the gate
  app.get('/account', (req, res) => (req.user ? res.send('Welcome!') : res.redirect('/login')));
  return app;
}
`;

export function readmeBlock(name: string): string {
  const block = readmeBlocks().get(name);
  if (block === undefined) throw new Error(`README.md has no code block marked "readme-test: ${name}"`);
  return block;
}

/**
 * Replace one exact piece of a README sample, failing loudly when the README no longer contains it, so the
 * test can never silently drift from what the README shows.
 */
export function replaceExactly(source: string, find: string, replacement: string): string {
  if (!source.includes(find)) throw new Error(`README sample no longer contains: ${find}`);
  return source.replace(find, replacement);
}

/**
 * Write generated files under test-output/ (inside the package, so `passport-twilio-verify-push` resolves
 * to the built package through its own exports map, exactly as in a user's app).
 */
export function writeGenerated(relativePath: string, source: string): string {
  const path = join(repoRoot, 'test-output', relativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, source);
  return path;
}

/** What the route samples use without declaring it: the user's Express app, Passport and the strategy. */
export interface SampleSurroundings {
  app: unknown;
  passport: unknown;
  push?: unknown;
}

/**
 * Mounts README route samples as a user's app would hold them: one module under test-output/readme/<folder>/
 * with the samples' imports on top and their statements in a function where `app`, `passport` and `push` exist.
 */
export async function mountSamples(names: string[], folder: string, surroundings: SampleSurroundings): Promise<void> {
  const lines = names.flatMap((name) => readmeBlock(name).split('\n'));
  const imports = [...new Set(lines.filter((line) => line.startsWith('import ')))].join('\n');
  const body = lines.filter((line) => !line.startsWith('import ')).join('\n');
  const source = `${imports}\nexport function mount(app: any, passport: any, push: any) {\n${body}\n}\n`;
  const file = writeGenerated(`readme/${folder}/routes.ts`, source);
  const { mount } = (await import(pathToFileURL(file).href)) as { mount(app: unknown, passport: unknown, push: unknown): void };
  mount(surroundings.app, surroundings.passport, surroundings.push);
}
