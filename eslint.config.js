// ESLint flat config (STYLE item 20). Not type-aware, to keep `npm run lint` fast; `tsc --noEmit` checks types.
// Formatting is Prettier's job (`npm run format`); eslint-config-prettier is not installed and not needed because
// no formatting rule is enabled here. test/boundaries.spec.ts proves the purity rules below fire.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** domain/ and projections/ are pure (DESIGN section 1): unit tests beside the code are not. */
const PURE_CORE = ['domain/**/*.ts', 'projections/**/*.ts'];
const SPECS = ['**/*.spec.ts'];

const pure = (why) => `domain/ and projections/ are pure: ${why}`;
const TIME = pure('time arrives as an argument (an ISO 8601 string), never read from a clock.');
const RANDOM = pure('ids and choices arrive as arguments or are hashes of their cause (node:crypto createHash).');
const SCHEDULING = pure('scheduling belongs to handlers/ and adapters/; a decision is a function of its inputs.');
const AMBIENT = pure('no ambient process state; configuration and environment arrive as arguments.');
const IO = pure('no I/O; effects sit behind ports that adapters/ implement.');
const LOGS = pure('no logging; return what happened (events, rejections) and let handlers/ log it.');

const RANDOM_FUNCTIONS = ['randomUUID', 'randomBytes', 'getRandomValues', 'randomInt', 'randomFill', 'randomFillSync'];

const purityRules = {
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: TIME },
    { name: 'performance', message: TIME },
    { name: 'setTimeout', message: SCHEDULING },
    { name: 'setInterval', message: SCHEDULING },
    { name: 'setImmediate', message: SCHEDULING },
    { name: 'queueMicrotask', message: SCHEDULING },
    { name: 'process', message: AMBIENT },
    { name: 'fetch', message: IO },
    { name: 'console', message: LOGS },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: RANDOM },
    ...RANDOM_FUNCTIONS.map((property) => ({ object: 'crypto', property, message: RANDOM })),
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "TSTypeReference[typeName.name='Date']", message: TIME },
    { selector: 'ImportExpression', message: pure('no dynamic import; dependencies are static and visible.') },
    {
      selector: "MetaProperty[meta.name='import'][property.name='meta']",
      message: pure('no import.meta; a module does not depend on where it is loaded from.'),
    },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...['node:crypto', 'crypto'].map((name) => ({ name, importNames: RANDOM_FUNCTIONS, message: RANDOM })),
        ...['node:timers', 'timers', 'node:timers/promises', 'timers/promises'].map((name) => ({
          name,
          message: SCHEDULING,
        })),
        ...['node:process', 'process'].map((name) => ({ name, message: AMBIENT })),
        ...['node:perf_hooks', 'perf_hooks'].map((name) => ({ name, message: TIME })),
      ],
      patterns: [
        {
          regex: '^(node:)?(fs|net|http|https|http2|dgram|dns|tls|child_process|cluster|os|worker_threads)(/.*)?$',
          message: IO,
        },
        { regex: '^@aws-sdk/', message: IO },
      ],
    },
  ],
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      complexity: ['warn', 10],
      'max-depth': ['warn', 3],
      'max-params': ['warn', 4],
    },
  },
  {
    files: PURE_CORE,
    ignores: SPECS,
    rules: {
      ...purityRules,
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
    },
  },
  {
    // `it.each` rows and fast-check properties take one parameter per column or arbitrary.
    files: SPECS,
    rules: { 'max-params': 'off' },
  },
  {
    // Plain JavaScript at the root (this file, bin/, .dependency-cruiser.cjs) runs on Node.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
