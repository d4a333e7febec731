#!/usr/bin/env node
// The single CLI entry point. The TypeScript sources are compiled to dist/ by `npm run build` (run by `prepare`).
import { main } from '../dist/handlers/cli/main.js';

process.exitCode = await main(process.argv);
