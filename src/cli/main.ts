#!/usr/bin/env node
/**
 * The atp-siem command line. Each subcommand lives in its own file beside this
 * one and exports `register(program)`; this file only wires them and is, with
 * them, the only place that exits the process.
 */
import { Command } from 'commander';
import { register as registerConvert } from './convert.js';
import { register as registerDemo } from './demo.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerEmulator } from './emulator.js';
import { register as registerEvents } from './events.js';
import { register as registerRun } from './run.js';
import { register as registerSinks } from './sinks.js';
import { register as registerStatus } from './status.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('atp-siem')
  .description(
    'Microsoft Defender for Office 365 threat events from the Office 365 Management Activity API into your SIEM.',
  )
  .version(VERSION)
  .showHelpAfterError();

registerDemo(program);
registerRun(program);
registerStatus(program);
registerSinks(program);
registerEvents(program);
registerDoctor(program);
registerConvert(program);
registerEmulator(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`atp-siem: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
}
