import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { types: ['node', 'passport'] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  shims: false,
});
