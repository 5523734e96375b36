/**
 * `npm run bench [name…]`: runs every benchmark in this folder (or the one an argument names, or those whose
 * file name contains it), one after another, each in its own process so one benchmark's warm caches and
 * timers cannot colour the next one's figures. Counts the PASS / MISS verdict lines at the end.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const all = readdirSync(here).filter((name) => name.endsWith('.ts') && name !== 'run.ts');
// A whole file name (with or without .ts) picks that file alone; anything else, every file containing it
// (`pending-memory` alone, `redis` for every Redis benchmark).
const picks = (wanted: string, name: string): boolean =>
  all.some((file) => file === wanted || file === `${wanted}.ts`) ? name === wanted || name === `${wanted}.ts` : name.includes(wanted);
const files = all.filter((name) => only.length === 0 || only.some((wanted) => picks(wanted, name))).sort();

function runOne(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', `${here}${file}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

let crashed = 0;
let passed = 0;
let missed = 0;
for (const file of files) {
  console.log(`\n##### ${file}`);
  const { code, output } = await runOne(file);
  passed += (output.match(/ PASS$/gm) ?? []).length;
  missed += (output.match(/ MISS$/gm) ?? []).length;
  if (code !== 0) {
    crashed += 1;
    console.error(`${file} failed (exit ${code})`);
  }
}
console.log(`\n${files.length} benchmark file(s): ${passed} PASS, ${missed} MISS${crashed ? `, ${crashed} crashed` : ''}`);
process.exitCode = crashed === 0 ? 0 : 1;
