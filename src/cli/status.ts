import type { Command } from 'commander';

/** Placeholder until the `status` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('status')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the status command is not built yet');
    });
}
