import type { Command } from 'commander';

/** Placeholder until the `demo` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the demo command is not built yet');
    });
}
