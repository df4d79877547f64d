import type { Command } from 'commander';

/** Placeholder until the `doctor` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the doctor command is not built yet');
    });
}
