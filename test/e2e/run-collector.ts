/**
 * `atp-siem run` alone, for the crash test: the same command as the CLI's,
 * without loading the other commands, so each of the many restarts is quick.
 */
import { Command } from 'commander';
import { register } from '../../src/cli/run.js';

const program = new Command().name('atp-siem');
register(program);
await program.parseAsync(process.argv);
