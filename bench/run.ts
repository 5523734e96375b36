/**
 * `npm run bench [name…]`: runs every benchmark in this folder (or those whose file name contains one of
 * the arguments), one after another, each in its own process so one benchmark's warm caches and timers
 * cannot colour the next one's figures. Counts the PASS / MISS verdict lines at the end.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && name !== 'run.ts')
  .filter((name) => only.length === 0 || only.some((wanted) => name.includes(wanted)))
  .sort();

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
