import { defineConfig } from 'tsup';
import { writeBundledLicences } from './tools/bundled-licences.js';

/**
 * ESM-only dependencies. `require()` of one hands CommonJS code the module namespace, not its default export
 * (`(0, import_p_retry.default) is not a function` on the first Twilio call), and Node before 20.19 and
 * 22.12 cannot `require()` them at all. So the CommonJS build carries its own copy; the ESM build imports them
 * from node_modules as usual. Their licences ship in dist/ (tools/bundled-licences.ts).
 */
const ESM_ONLY_DEPENDENCIES = ['p-retry', 'is-network-error'];

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'redis/index': 'src/stores/redis/index.ts',
    // The emulator server behind the package's `bin`: a program, so it needs no type declarations.
    'testing/cli': 'src/testing/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'redis/index': 'src/stores/redis/index.ts' }, compilerOptions: { types: ['node', 'passport'] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  shims: false,
  noExternal: ESM_ONLY_DEPENDENCIES,
  esbuildOptions(options, { format }) {
    if (format === 'esm') options.external = [...(options.external ?? []), ...ESM_ONLY_DEPENDENCIES];
  },
  onSuccess: async () => writeBundledLicences('dist'),
});
