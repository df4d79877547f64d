import type { Command } from 'commander';

/** Placeholder until the `convert` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('convert')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the convert command is not built yet');
    });
}
