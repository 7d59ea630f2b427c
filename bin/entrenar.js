#!/usr/bin/env node
// The `entrenar` command: runs the compiled CLI (`npm run build` produces dist/).
import { main } from '../dist/src/main.js';

await main(process.argv);
