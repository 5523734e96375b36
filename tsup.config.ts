import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    // The emulator server behind the package's `bin`: a program, so it needs no type declarations.
    'testing/cli': 'src/testing/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' }, compilerOptions: { types: ['node', 'passport'] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  shims: false,
});
