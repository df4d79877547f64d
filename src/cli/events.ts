import type { Command } from 'commander';

/** Placeholder until the `events` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('events')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the events command is not built yet');
    });
}
