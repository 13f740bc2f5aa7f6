#!/usr/bin/env node
// The command-line entry: `cronkeeper <command> [options]`.
import { runCommandLine } from './commands/command-line.js';

process.exitCode = await runCommandLine(process.argv.slice(2));
