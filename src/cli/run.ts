import type { Command } from 'commander';

/** Placeholder until the `run` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('run')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the run command is not built yet');
    });
}
