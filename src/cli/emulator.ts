import type { Command } from 'commander';

/** Placeholder until the `emulator` command is built; replaced by its owner. */
export function register(program: Command): void {
  program
    .command('emulator')
    .description('(not built yet)')
    .action(() => {
      throw new Error('the emulator command is not built yet');
    });
}
